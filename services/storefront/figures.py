"""What the home page shows for each hub and product, read from the services' public APIs and
kept for a few seconds: a crowd of visitors costs the services one read per hub per few
seconds, never one per visitor per product. Visitors who come while a read is under way wait
for it rather than start their own.

A new order's likely date is the last waiting order's estimate (a new order joins behind it in
its class, or earlier); with nobody waiting, today when units are on hand.
"""

import asyncio
import time
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from services.storefront.backends import BackendError, Backends


@dataclass(frozen=True)
class ProductFigures:
    sku: str
    name: str
    unit_price: int
    on_hand: int
    orders_waiting: int
    estimated_date: date | None
    per_buyer_daily_cap: int | None


@dataclass(frozen=True)
class HubFigures:
    code: str
    name: str
    timezone: str
    products: tuple[ProductFigures, ...]


class Figures:
    def __init__(self, backends: Backends, hubs: list[str], keep_seconds: float):
        self._backends = backends
        self._hubs = hubs
        self._keep_seconds = keep_seconds
        self._read_at: dict[str, float] = {}
        self._kept: dict[str, HubFigures] = {}
        self._reading: dict[str, asyncio.Task] = {}

    @property
    def hubs(self) -> list[str]:
        return list(self._hubs)

    async def of_hub(self, hub: str) -> HubFigures:
        if time.monotonic() - self._read_at.get(hub, -1e9) < self._keep_seconds:
            return self._kept[hub]
        task = self._reading.get(hub)
        if task is None:
            task = asyncio.create_task(self._read(hub))
            self._reading[hub] = task
            task.add_done_callback(lambda _: self._reading.pop(hub, None))
        try:
            # Shielded: a visitor who leaves does not cancel the read the others wait for.
            return await asyncio.shield(task)
        except BackendError:
            if hub in self._kept:  # older figures are better than no page while a service is away
                return self._kept[hub]
            raise

    async def all(self) -> list[HubFigures]:
        return list(await asyncio.gather(*(self.of_hub(hub) for hub in self._hubs)))

    async def hub(self, hub: str) -> HubFigures | None:
        return await self.of_hub(hub) if hub in self._hubs else None

    async def product(self, hub: str, sku: str) -> ProductFigures | None:
        if hub not in self._hubs:
            return None
        figures = await self.of_hub(hub)
        return next((p for p in figures.products if p.sku == sku), None)

    async def _read(self, hub: str) -> HubFigures:
        about = await self._backends.get("intake", f"/v1/hubs/{hub}")
        catalog = await self._backends.get("orders", f"/v1/hubs/{hub}/products")
        today = datetime.now(ZoneInfo(about["timezone"])).date()
        products = await asyncio.gather(
            *(self._product(hub, entry, today) for entry in catalog["products"])
        )
        figures = HubFigures(hub, about["name"], about["timezone"], tuple(products))
        self._kept[hub], self._read_at[hub] = figures, time.monotonic()
        return figures

    async def _product(self, hub: str, entry: dict, today: date) -> ProductFigures:
        path = f"/v1/hubs/{hub}/products/{entry['sku']}"
        stock, queue, policy = await asyncio.gather(
            self._backends.get("allocator", f"{path}/stock"),
            self._backends.get("allocator", f"{path}/queue", params={"limit": 1}),
            self._backends.get("allocator", f"{path}/policy"),
        )
        return ProductFigures(
            sku=entry["sku"],
            name=entry["name"],
            unit_price=entry["unit_price"],
            on_hand=stock["available"],
            orders_waiting=queue["waiting"],
            estimated_date=await self._new_order_date(
                path, queue["waiting"], stock["available"], today
            ),
            per_buyer_daily_cap=policy.get("per_buyer_daily_cap"),
        )

    async def _new_order_date(
        self, path: str, waiting: int, on_hand: int, today: date
    ) -> date | None:
        if waiting == 0:
            return today if on_hand > 0 else None
        try:
            last = await self._backends.get(
                "allocator", f"{path}/queue", params={"limit": 1, "offset": waiting - 1}
            )
        except BackendError:
            return None
        orders = last["orders"]
        estimate = orders[-1]["estimated_date"] if orders else None
        return None if estimate is None else date.fromisoformat(estimate)
