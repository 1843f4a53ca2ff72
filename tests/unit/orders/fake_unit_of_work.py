"""The orders service's unit of work in dicts and lists, for its use cases' tests: what the
database would keep and compute (codes, sequences, statuses) done the simplest way."""

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from services.orders.domain import Claim, PlacedOrder
from services.orders.models import NewOrder, Order
from services.orders.programmes.rules import Budget, Terms
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
        fields = {k: v for k, v in row.items() if k in Order.model_fields}
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
            "programme_id": None,
            "programme_status": None,
            "programme_recipient": None,
            "programme_unit_price": None,
            "programme_ticket": None,
            "admitted_at": None,
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

    async def claim(self, owner: str, key: str | None, hub: str, sku: str) -> Claim:
        if key is None:
            return Claim(locked=True)
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


class FakeProgrammes:
    """Programmes over the fake orders' rows, computing the budget as migration 0012's
    programme_budget() does."""

    def __init__(self, orders: FakeOrders) -> None:
        self.terms: dict[uuid.UUID, Terms] = {}
        self.today = datetime.now(UTC).date()
        self.draws: list[dict] = []
        self._orders = orders
        self._returned: list[uuid.UUID] = []

    def rows_of(self, programme_id: uuid.UUID) -> list[dict]:
        rows = [row for row in self._orders.rows.values() if row["programme_id"] == programme_id]
        return sorted(rows, key=lambda row: row["sequence"])

    async def locked(self, programme_id: uuid.UUID) -> tuple[Terms, date] | None:
        terms = self.terms.get(programme_id)
        if terms is None:
            return None
        drawn = any(d["programme_id"] == programme_id for d in self.draws)
        return replace(terms, drawn=drawn), self.today

    async def budget(self, terms: Terms) -> Budget:
        committed = spent = 0
        for row in self.rows_of(terms.id):
            if row["programme_status"] != "admitted":
                continue
            given = min(row["fulfilled"], row["quantity"])
            if row["cancelled_at"] is None:
                owed = max(row["quantity"] - given - row["expired"], 0)
                committed += owed * row["programme_unit_price"]
            spent += given * row["programme_unit_price"]
        return Budget(terms.budget, committed, spent)

    async def recipient(self, programme_id: uuid.UUID, recipient: str) -> tuple[bool, int]:
        rows = [r for r in self.rows_of(programme_id) if r["programme_recipient"] == recipient]
        live = any(row["cancelled_at"] is None for row in rows)
        given = sum(
            min(row["fulfilled"], row["quantity"])
            for row in rows
            if row["cancelled_at"] is not None
        )
        return live, given

    async def enter(
        self, order_id, programme_id, recipient, unit_price, ticket
    ) -> PlacedOrder | None:
        if any(row.get("programme_ticket") == ticket for row in self.rows_of(programme_id)):
            return None  # taken in this programme: the use case draws another
        row = self._orders.rows[order_id]
        row.update(
            programme_id=programme_id,
            programme_recipient=recipient,
            programme_unit_price=unit_price,
            programme_status="waiting",
            programme_ticket=ticket,
        )
        return PlacedOrder(self._orders.order(order_id), row["sequence"])

    async def waiting(self, programme_id: uuid.UUID) -> list[PlacedOrder]:
        return [
            PlacedOrder(self._orders.order(row["id"]), row["sequence"])
            for row in self.rows_of(programme_id)
            if row["programme_status"] == "waiting" and row["cancelled_at"] is None
        ]

    async def admit(self, order_ids: list[uuid.UUID]) -> list[PlacedOrder]:
        admitted = []
        for order_id in order_ids:
            row = self._orders.rows[order_id]
            if row["programme_status"] == "waiting" and row["cancelled_at"] is None:
                row.update(programme_status="admitted", admitted_at=datetime.now(UTC))
                admitted.append(PlacedOrder(self._orders.order(order_id), row["sequence"]))
        return admitted

    async def record_draw(self, *columns: Any) -> dict:
        names = ("id", "programme_id", "kind", "cause", "seed", "budget_left", "entrant_ids")
        names += ("entrant_tickets", "entrant_costs", "winner_ids", "winner_tickets")
        self.draws.append(dict(zip(names, columns, strict=True)))
        return self.draws[-1]

    def returned(self, order_id: uuid.UUID) -> None:
        self._returned.append(order_id)

    async def programmes_returned(self) -> list[uuid.UUID]:
        returned, self._returned = self._returned, []
        rows = [self._orders.rows[o] for o in returned if o in self._orders.rows]
        return sorted({r["programme_id"] for r in rows if r["programme_status"] == "admitted"})


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.catalog = FakeCatalog()
        self.history = FakeHistory()
        self.orders = FakeOrders(self.catalog, self.history)
        self.programmes = FakeProgrammes(self.orders)
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
