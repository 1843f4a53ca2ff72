"""What the pages show of hubs and products, read from the services' public APIs and kept for a
few seconds: a crowd of visitors costs the services one read of the hub list and one per hub per
few seconds, never one per visitor per product. Visitors who come while a read is under way wait
for it rather than start their own.

The site offers the hubs intake lists as taking its orders (operators set that, with each hub's
address and opening hours), among them those its partner key may order in: a hub the key is not
allowed is left out (the orders API refuses its catalog), as it could take no order from here.

A new order's likely date is the last waiting order's estimate (a new order joins behind it in
its class, or earlier); with nobody waiting, today when units are on hand.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

import structlog

from services.storefront.backends import BackendError, Backends
from shared import opening_hours
from shared.problems import Text

log = structlog.get_logger()
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
# More hubs than a country has provinces: the site offers at most this many.
MAX_HUBS = 100


@dataclass(frozen=True)
class ProductFigures:
    sku: str
    name: str
    unit_price: int
    on_hand: int
    orders_waiting: int
    estimated_date: date | None
    per_buyer_daily_cap: int | None
    # Its pre-order window (the orders API's ProductWindow), None without one: "open" takes
    # orders; "full", "closed" and "upcoming" do not, and offer the sign-up instead.
    window: dict | None = None

    @property
    def takes_orders(self) -> bool:
        return self.window is None or self.window["status"] == "open"


@dataclass(frozen=True)
class HubInfo:
    """Where and when to collect: a hub as buyers read it."""

    code: str
    name: str
    timezone: str
    address: str | None
    hours: tuple[Text, ...]  # the week, grouped ("Senin–Jumat: 08.00–15.00"); empty: not known
    takes_site_orders: bool

    @classmethod
    def of(cls, about: dict) -> "HubInfo":
        return cls(
            code=about["code"],
            name=about["name"],
            timezone=about["timezone"],
            address=about.get("address"),
            hours=tuple(opening_hours.lines(about.get("opening_hours") or [])),
            takes_site_orders=bool(about.get("takes_site_orders")),
        )


@dataclass(frozen=True)
class HubFigures(HubInfo):
    products: tuple[ProductFigures, ...]


class Kept(Generic[K, V]):
    """`read(key)`'s answers, each kept `keep_seconds`; one read at a time for a key, which
    every caller waits for. While a service is away, the last answer is better than no page."""

    def __init__(self, read: Callable[[K], Awaitable[V]], keep_seconds: float):
        self._read = read
        self._keep_seconds = keep_seconds
        self._read_at: dict[K, float] = {}
        self._kept: dict[K, V] = {}
        self._reading: dict[K, asyncio.Task] = {}

    async def get(self, key: K) -> V:
        if time.monotonic() - self._read_at.get(key, -1e9) < self._keep_seconds:
            return self._kept[key]
        task = self._reading.get(key)
        if task is None:
            task = asyncio.create_task(self._keep(key))
            self._reading[key] = task
            task.add_done_callback(lambda _: self._reading.pop(key, None))
        try:
            # Shielded: a visitor who leaves does not cancel the read the others wait for.
            return await asyncio.shield(task)
        except BackendError:
            if key in self._kept:
                return self._kept[key]
            raise

    async def _keep(self, key: K) -> V:
        value = await self._read(key)
        self._kept[key], self._read_at[key] = value, time.monotonic()
        return value


class Figures:
    def __init__(self, backends: Backends, keep_seconds: float):
        self._backends = backends
        self._offered = Kept(self._read_offered, keep_seconds)
        self._about = Kept(self._read_about, keep_seconds)
        self._figures = Kept(self._read_figures, keep_seconds)

    async def all(self) -> list[HubFigures]:
        """The hubs the site offers, oldest first, with their products' figures."""
        offered = list((await self._offered.get(None)).values())
        products = await asyncio.gather(*(self._figures.get(hub.code) for hub in offered))
        return [
            HubFigures(**vars(hub), products=figures)
            for hub, figures in zip(offered, products, strict=True)
            if figures is not None
        ]

    async def offered(self, code: str) -> HubFigures | None:
        """The hub's figures if the site takes orders there, else None."""
        hub = (await self._offered.get(None)).get(code)
        if hub is None:
            return None
        products = await self._figures.get(code)
        return None if products is None else HubFigures(**vars(hub), products=products)

    async def hub(self, code: str) -> HubInfo | None:
        """Any hub, offered here or not (an order's page names where to collect); None while
        intake cannot say: the order's page goes on without it."""
        try:
            return await self._about.get(code)
        except BackendError:
            return None

    async def product(self, hub: str, sku: str) -> ProductFigures | None:
        figures = await self.offered(hub)
        if figures is None:
            return None
        return next((p for p in figures.products if p.sku == sku), None)

    async def first_hub(self) -> str | None:
        """The hub a check that places nothing is sent for (its code names the centre)."""
        offered = await self.all()
        return offered[0].code if offered else None

    async def _read_offered(self, _: None) -> dict[str, HubInfo]:
        listed = await self._backends.get(
            "intake", "/v1/hubs", params={"takes_site_orders": "true", "limit": MAX_HUBS}
        )
        return {about["code"]: HubInfo.of(about) for about in listed["hubs"]}

    async def _read_about(self, code: str) -> HubInfo | None:
        try:
            return HubInfo.of(await self._backends.get("intake", f"/v1/hubs/{code}"))
        except BackendError as error:
            if error.status == 404:
                return None
            raise

    async def _read_figures(self, code: str) -> tuple[ProductFigures, ...] | None:
        """The hub's products, or None when the site's key may not order there."""
        hub = (await self._offered.get(None)).get(code)
        if hub is None:
            return None
        try:
            catalog = await self._backends.get("orders", f"/v1/hubs/{code}/products")
        except BackendError as error:
            if error.status != 403:
                raise
            log.warning("site_hub_not_allowed", hub=code, reason=error.problem.get("type"))
            return None
        today = datetime.now(ZoneInfo(hub.timezone)).date()
        return tuple(
            await asyncio.gather(
                *(self._product(code, entry, today) for entry in catalog["products"])
            )
        )

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
            window=entry.get("window"),
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
