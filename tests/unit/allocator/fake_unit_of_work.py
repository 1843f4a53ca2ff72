"""The allocator's unit of work in dicts and lists (`store.Work`), for its use cases' tests:
no database. Writes apply at once (a read always sees them); what was published is kept."""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from services.allocator.rules.days import DEFAULT_TIMEZONE
from services.allocator.rules.domain import Allocation, Claim, Lot, Policy
from services.allocator.rules.outlook import Counts, NewOrdersOutlook, Outlook
from services.allocator.rules.policies import PolicyRules
from services.allocator.store import ExpiredHold, FillRecord, FillStart, Product
from services.allocator.store.days import Waiting
from shared.consumer import Event
from shared.events import DaySummarised, Envelope, OrderPlaced, SupplyReceived


@dataclass
class FakeLot:
    hub: str
    sku: str
    producer_id: uuid.UUID
    accepted: int
    received_at: datetime
    allocated: int = 0


@dataclass
class FakeOrder:
    order: OrderPlaced
    hub: str
    state: str
    estimated_date: date | None
    allocated: int = 0
    forfeited: int = 0

    @property
    def wanted(self) -> int:
        return self.order.quantity - self.allocated - self.forfeited

    @property
    def place(self) -> tuple[datetime, int]:
        return self.order.placed_at, self.order.sequence


@dataclass
class FakeHold:
    allocation: Allocation
    hub: str
    sku: str
    hold_until: datetime
    state: str = "held"


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.locks: list[Product] = []
        self._touched: set[Product] = set()
        self._arrivals: dict[Product, list[Event]] = defaultdict(list)
        self.lots: dict[uuid.UUID, FakeLot] = {}
        self.orders: dict[uuid.UUID, FakeOrder] = {}
        self.early_cancels: dict[uuid.UUID, datetime] = {}
        self.holds: list[FakeHold] = []
        self.buyer_days: dict[tuple, int] = defaultdict(int)
        self.policies: dict[Product, Policy] = {}
        self.skips: dict[uuid.UUID, str] = {}
        self.published: list[Envelope] = []
        self.fills_started: list[Product] = []
        self.summaries: dict[tuple, DaySummarised] = {}
        self.flushed = 0

    async def lock(self, products: Iterable[Product]) -> None:
        self.locks.extend(sorted(set(products) - set(self.locks)))

    def touch(self, product: Product) -> None:
        self._touched.add(product)

    def touched(self) -> set[Product]:
        return set(self._touched)

    def publish(self, *events: Envelope) -> None:
        self.published.extend(events)

    async def flush(self) -> None:
        self.flushed += 1

    def register_hub(self, hub: str, timezone: str) -> None:
        pass

    def add_lot(self, hub: str, supply: SupplyReceived) -> None:
        self.lots.setdefault(
            supply.delivery_id,
            FakeLot(hub, supply.sku, supply.producer_id, supply.accepted, supply.received_at),
        )

    def arrive(self, product: Product, event: Event) -> None:
        self._arrivals[product].append(event)

    def take_arrivals(self, product: Product) -> list[Event]:
        return self._arrivals.pop(product, [])

    def _waiting(self, hub: str, sku: str, priority_class: str | None = None) -> list[FakeOrder]:
        return sorted(
            (
                o
                for o in self.orders.values()
                if o.hub == hub
                and o.order.sku == sku
                and o.state == "waiting"
                and priority_class in (None, o.order.priority_class)
            ),
            key=lambda o: o.place,
        )

    def _totals(self, hub: str, sku: str) -> dict[str, Counts]:
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for o in self._waiting(hub, sku):
            totals[o.order.priority_class][0] += 1
            totals[o.order.priority_class][1] += o.wanted
        return {name: (orders, units) for name, (orders, units) in totals.items()}

    def _policy(self, hub: str, sku: str) -> Policy:
        return self.policies.get((hub, sku), Policy())

    async def new_orders_outlook(self, hub: str, sku: str, classes: set[str]) -> NewOrdersOutlook:
        supplied = sum(
            lot.accepted for lot in self.lots.values() if (lot.hub, lot.sku) == (hub, sku)
        )
        view = Outlook(self._totals(hub, sku), datetime.now(UTC).date(), supplied, supplied)
        tails = {}
        for name in classes:
            waiting = self._waiting(hub, sku, name)
            tails[name] = waiting[-1].place if waiting else None
        mine = [lot for lot in self.lots.values() if (lot.hub, lot.sku) == (hub, sku)]
        on_hand = sum(lot.accepted - lot.allocated for lot in mine)
        return NewOrdersOutlook(self._policy(hub, sku), view, tails, on_hand)

    async def counted_ahead(self, hub: str, sku: str, order: OrderPlaced) -> Counts:
        ahead = [
            o
            for o in self._waiting(hub, sku, order.priority_class)
            if o.place < (order.placed_at, order.sequence)
        ]
        return len(ahead), sum(o.wanted for o in ahead)

    async def join(
        self, hub: str, sku: str, orders: list[OrderPlaced], told: dict[uuid.UUID, date | None]
    ) -> set[uuid.UUID]:
        queued = set()
        for order in orders:
            if order.order_id in self.orders:
                continue
            state = "cancelled" if order.order_id in self.early_cancels else "waiting"
            self.orders[order.order_id] = FakeOrder(order, hub, state, told[order.order_id])
            if state == "waiting":
                queued.add(order.order_id)
        return queued

    def tell_estimates(self, moved: dict[uuid.UUID, date | None]) -> None:
        for order_id, day in moved.items():
            self.orders[order_id].estimated_date = day

    async def order_state(self, order_id: uuid.UUID) -> str | None:
        order = self.orders.get(order_id)
        return None if order is None else order.state

    def remember_cancel(self, order_id: uuid.UUID, cancelled_at: datetime) -> None:
        self.early_cancels.setdefault(order_id, cancelled_at)

    def cancel(self, order_id: uuid.UUID, released: list[Allocation]) -> None:
        self._give_back(released)
        self.orders[order_id].state = "cancelled"

    async def release_held(self, order_id: uuid.UUID) -> list[Allocation]:
        return self._end_holds(lambda h: h.allocation.order_id == order_id, "released")

    def fulfil(self, order_id: uuid.UUID) -> None:
        self._end_holds(lambda h: h.allocation.order_id == order_id, "fulfilled")

    async def expire_due(self, hub: str, sku: str, limit: int) -> list[ExpiredHold]:
        now = datetime.now(UTC)
        due = [
            h
            for h in self.holds
            if h.state == "held" and (h.hub, h.sku) == (hub, sku) and h.hold_until <= now
        ][:limit]
        for hold in due:
            hold.state = "expired"
        return [ExpiredHold(h.allocation, h.hold_until) for h in due]

    def forfeit(self, expired: list[Allocation]) -> None:
        self._give_back(expired)
        for a in expired:
            self.orders[a.order_id].forfeited += a.quantity

    def _end_holds(self, which, state: str) -> list[Allocation]:
        ended = [h for h in self.holds if h.state == "held" and which(h)]
        for hold in ended:
            hold.state = state
        return [hold.allocation for hold in ended]

    def _give_back(self, given: list[Allocation]) -> None:
        for a in given:
            self.lots[a.delivery_id].allocated -= a.quantity
            self.orders[a.order_id].allocated -= a.quantity

    async def fill_start(self, hub: str, sku: str) -> FillStart | None:
        self.fills_started.append((hub, sku))
        stock = [
            (lot.received_at, delivery_id, lot)
            for delivery_id, lot in self.lots.items()
            if (lot.hub, lot.sku) == (hub, sku) and lot.allocated < lot.accepted
        ]
        totals = self._totals(hub, sku)
        if not stock or not totals:
            return None
        lots = [
            Lot(delivery_id, lot.producer_id, lot.accepted - lot.allocated)
            for _, delivery_id, lot in sorted(stock, key=lambda s: (s[0], s[1]))
        ]
        return FillStart(lots, totals, self._policy(hub, sku), datetime.now(UTC).date())

    async def queue_head(
        self, hub: str, sku: str, priority_class: str, limit: int | None
    ) -> list[Claim]:
        return [
            Claim(
                order_id=o.order.order_id,
                requested=o.order.quantity,
                allocated=o.allocated,
                forfeited=o.forfeited,
                buyer=o.order.buyer_key,
                priority_class=o.order.priority_class,
                accept_partial=o.order.accept_partial,
                programme=o.order.programme
                and (o.order.programme.programme_id, o.order.programme.unit_price),
            )
            for o in self._waiting(hub, sku, priority_class)[:limit]
        ]

    async def taken_today(
        self, hub: str, sku: str, day: date, buyers: Iterable[str]
    ) -> dict[str, int]:
        return {b: self.buyer_days[(hub, sku, day, b)] for b in buyers}

    async def add_draw(
        self, hub: str, sku: str, policy_version: int, seed: int, entrants: dict, units: int
    ) -> int:
        return 1

    def record_fill(self, record: FillRecord) -> None:
        for skip in record.fill.skips:
            self.skips[skip.order_id] = skip.rule
        for a in record.fill.allocations:
            self.lots[a.delivery_id].allocated += a.quantity
            order = self.orders[a.order_id]
            order.allocated += a.quantity
            if order.wanted == 0:
                order.state = "filled"
            self.holds.append(FakeHold(a, record.hub, record.sku, record.hold_until))
        for buyer, units in record.by_buyer.items():
            self.buyer_days[(record.hub, record.sku, record.day, buyer)] += units

    async def add_policy(self, hub: str, sku: str, rules: PolicyRules) -> None:
        version = self._policy(hub, sku).version + 1
        self.policies[(hub, sku)] = rules.as_policy(version)

    async def day_figures(self, hub: str, sku: str, day: date) -> DaySummarised:
        """The day's figures, as far as the fake keeps them (units received and given)."""
        mine = [lot for lot in self.lots.values() if (lot.hub, lot.sku) == (hub, sku)]
        waiting = self._totals(hub, sku).values()
        return DaySummarised(
            day=day,
            timezone=DEFAULT_TIMEZONE,
            sku=sku,
            received=sum(lot.accepted for lot in mine),
            allocated=sum(lot.allocated for lot in mine),
            fulfilled=0,
            expired=0,
            waiting_orders=sum(orders for orders, _ in waiting),
            waiting_units=sum(units for _, units in waiting),
            buyers_unserved=0,
        )

    async def record_summary(self, hub: str, summary: DaySummarised) -> bool:
        key = (hub, summary.sku, summary.day)
        if key in self.summaries:
            return False
        self.summaries[key] = summary
        return True

    async def product_outlook(self, hub: str, sku: str) -> tuple[Policy, Outlook]:
        known = await self.new_orders_outlook(hub, sku, set())
        return known.policy, known.view

    async def waiting_in_order(self, hub: str, sku: str) -> list[Waiting]:
        answer = []
        for name in {o.order.priority_class for o in self._waiting(hub, sku)}:
            orders = units = 0
            for o in self._waiting(hub, sku, name):
                answer.append(
                    Waiting(o.order.order_id, name, o.estimated_date, o.wanted, (orders, units))
                )
                orders, units = orders + 1, units + o.wanted
        return answer

    def make_due(self) -> None:
        """Time passes: every held allocation's hold has run out."""
        for hold in self.holds:
            hold.hold_until = datetime.now(UTC) - timedelta(minutes=1)
