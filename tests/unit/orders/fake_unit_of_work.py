"""The orders service's unit of work in dicts and lists, for its use cases' tests: what the
database would keep and compute (codes, sequences, statuses) done the simplest way."""

import uuid
from datetime import UTC, datetime
from typing import Any

from services.orders.domain import Claim, PlacedOrder
from services.orders.models import NewOrder, Order
from services.orders.windows import Decision, Window, decide
from shared.events import Envelope
from shared.order_codes import new_order_code, shown


def status_of(order: dict) -> str:
    """As the `status` column of migration 0002 computes it."""
    waiting = order["quantity"] - order["allocated"] - order["expired"]
    if order["cancelled_at"] is not None:
        return "cancelled"
    if waiting <= 0 and order["allocated"] <= 0:
        return "expired"
    if waiting <= 0:
        return "fulfilled" if order["fulfilled"] >= order["allocated"] else "allocated"
    return "partially_allocated" if order["allocated"] > 0 or order["expired"] > 0 else "queued"


class FakeOrders:
    def __init__(self, catalog: "FakeCatalog", history: "FakeHistory") -> None:
        self.rows: dict[uuid.UUID, dict] = {}
        self._catalog = catalog
        self._history = history

    def order(self, order_id: uuid.UUID) -> Order:
        row = self.rows[order_id]
        waiting = max(row["quantity"] - row["allocated"] - row["expired"], 0)
        fields = {k: v for k, v in row.items() if k not in ("partner_id", "sequence")}
        return Order(**fields, status=status_of(row), waiting=waiting)

    async def add(self, order_id, new: NewOrder, priority_class, partner_id) -> PlacedOrder | None:
        if (new.hub, new.sku) not in self._catalog.products:
            return None
        self.rows[order_id] = {
            **new.model_dump(exclude={"priority_class"}),
            "id": order_id,
            "code": shown(new_order_code()),
            "priority_class": priority_class,
            "partner_id": partner_id,
            "sequence": len(self.rows) + 1,
            "allocated": 0,
            "fulfilled": 0,
            "expired": 0,
            "hold_until": None,
            "placed_at": datetime.now(UTC),
            "fulfilled_at": None,
            "cancelled_at": None,
        }
        return PlacedOrder(self.order(order_id), self.rows[order_id]["sequence"])

    async def locked(self, order_id, partner_id) -> Order | None:
        row = self.rows.get(order_id)
        if row is None or partner_id not in (None, row["partner_id"]):
            return None
        return self.order(order_id)

    async def cancel(self, order_id) -> Order:
        self.rows[order_id]["cancelled_at"] = datetime.now(UTC)
        return self.order(order_id)

    async def fulfil(self, order_id) -> Order:
        row = self.rows[order_id]
        row.update(fulfilled=row["allocated"], fulfilled_at=datetime.now(UTC))
        return self.order(order_id)

    def change(self, kind, order_id, units, hold_until, at, detail: dict[str, Any]) -> None:
        row = self.rows.get(order_id)
        if row is None:  # an order this service never had
            return
        if kind == "allocated":
            row["allocated"] += units
            row["hold_until"] = max(filter(None, [row["hold_until"], hold_until]), default=None)
        else:
            row["allocated"] -= units
            row["expired"] += units if kind == "expired" else 0
            row["fulfilled"] = max(min(row["fulfilled"], row["allocated"]), 0)
        self._history.add(order_id, at, kind, units, **detail)


class FakeKeys:
    def __init__(self) -> None:
        self.stored: dict[tuple[str, str], tuple[str, int, str]] = {}
        self.claimed: set[tuple[str, str]] = set()  # by this unit, or by another request

    async def claim(self, owner: str, key: str) -> Claim:
        if (owner, key) in self.claimed:
            return Claim(locked=False)
        self.claimed.add((owner, key))
        return Claim(True, *self.stored.get((owner, key), (None, None, None)))

    def store(self, owner: str, key: str, request_hash: str, status: int, body: str) -> None:
        self.stored[owner, key] = (request_hash, status, body)


class FakeCatalog:
    def __init__(self) -> None:
        self.products: dict[tuple[str, str], tuple] = {}

    def listed(self, hub: str, sku: str, product_id: uuid.UUID, name: str, unit_price: int):
        self.products[hub, sku] = (product_id, name, unit_price)

    async def has_hub(self, hub: str) -> bool:
        return any(known == hub for known, _ in self.products)


class FakeHistory:
    def __init__(self) -> None:
        self.entries: list[tuple] = []

    def add(self, order_id, at, kind, units=None, **detail: Any) -> None:
        self.entries.append((order_id, kind, units, detail))

    def of(self, order_id: uuid.UUID) -> list[tuple]:
        return [entry[1:] for entry in self.entries if entry[0] == order_id]


class FakeWindows:
    """The windows' rule as the store applies it, over windows the test opens."""

    def __init__(self) -> None:
        self.windows: list[Window] = []

    async def take(self, hub: str, sku: str, quantity: int, buyer_type: str) -> Decision:
        mine = [window for window in self.windows if (window.hub, window.sku) == (hub, sku)]
        return decide(mine, quantity, buyer_type, datetime.now(UTC))


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.catalog = FakeCatalog()
        self.history = FakeHistory()
        self.orders = FakeOrders(self.catalog, self.history)
        self.keys = FakeKeys()
        self.windows = FakeWindows()
        self.held: list[Envelope] = []
        self.published: list[Envelope] = []  # as flushed
        self.flushes = 0

    def publish(self, *events: Envelope) -> None:
        self.held.extend(events)

    async def flush(self) -> None:
        self.published += self.held
        self.held = []
        self.flushes += 1
