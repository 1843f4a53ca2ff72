"""The allocator's unit of work: what a transaction's use cases write, held per kind of row
and written at `flush` a statement per kind (unnest arrays), however many events, orders or
products the batch held. A read of anything the writes may change flushes them first."""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

import asyncpg

from services.allocator.rules.days import today, zone_named
from services.allocator.rules.domain import (
    Allocation,
    Claim,
    Lot,
    Policy,
    total_by_lot,
    total_by_order,
)
from services.allocator.rules.outlook import Counts, NewOrdersOutlook, Outlook
from services.allocator.rules.policies import PolicyRules
from services.allocator.store import (
    ExpiredHold,
    FillRecord,
    FillStart,
    Product,
    allocations,
    days,
    hubs,
    lots,
    outlooks,
    queue,
)
from services.allocator.store import policies as stored_policies
from services.allocator.store.days import Waiting
from services.allocator.store.fills import columns, fill_writes
from services.allocator.store.writes import QUEUE, Write, outbox_write, write_all
from shared.consumer import Event
from shared.events import DaySummarised, Envelope, OrderPlaced, SupplyReceived


class UnitOfWork:
    """Opened on a connection inside its transaction (see `store.Work`)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._locked: set[Product] = set()
        self._touched: set[Product] = set()
        self._arrivals: dict[Product, list[Event]] = defaultdict(list)
        self._hubs: dict[str, str] = {}
        self._lots: dict[uuid.UUID, tuple] = {}
        self._early_cancels: dict[uuid.UUID, datetime] = {}
        self._lot_returns: dict[uuid.UUID, int] = defaultdict(int)
        self._cancels: dict[uuid.UUID, int] = {}
        self._forfeits: dict[uuid.UUID, int] = defaultdict(int)
        self._fulfilled: set[uuid.UUID] = set()
        self._estimates: dict[uuid.UUID, date | None] = {}
        self._fills: list[FillRecord] = []
        self._events: list[Envelope] = []
        self._known: dict[Product, _Known] = {}
        self._buyers: dict[Product, set[str]] = defaultdict(set)  # of the orders arriving

    async def lock(self, products: Iterable[Product]) -> None:
        """Take the locks of the products not yet held, in one sorted order, in one trip."""
        new = sorted(set(products) - self._locked)
        if new:
            await self.conn.execute(
                hubs.LOCK_PRODUCTS, [hub for hub, _ in new], [sku for _, sku in new]
            )
            self._locked.update(new)

    def touch(self, product: Product) -> None:
        """The product changed: its queue is filled once, before the commit."""
        self._touched.add(product)

    def touched(self) -> set[Product]:
        return set(self._touched)

    def publish(self, *events: Envelope) -> None:
        self._events.extend(events)

    def register_hub(self, hub: str, timezone: str) -> None:
        self._hubs[hub] = timezone

    def add_lot(self, hub: str, supply: SupplyReceived) -> None:
        self._known.clear()
        self._lots.setdefault(
            supply.delivery_id,
            (
                supply.delivery_id,
                hub,
                supply.sku,
                supply.producer_id,
                supply.accepted,
                supply.received_at,
            ),
        )

    def arrive(self, product: Product, event: Event) -> None:
        self._arrivals[product].append(event)
        self._buyers[product].add(event.payload.buyer_key)

    def take_arrivals(self, product: Product) -> list[Event]:
        return self._arrivals.pop(product, [])

    async def new_orders_outlook(self, hub: str, sku: str, classes: set[str]) -> NewOrdersOutlook:
        await self.flush()
        buyers = self._buyers.pop((hub, sku), set())
        known, stock, taken = await outlooks.for_new_orders(self.conn, hub, sku, classes, buyers)
        self._known[(hub, sku)] = _Known(
            stock, dict(known.view.totals), known.policy, known.view.today, buyers, taken
        )
        return known

    async def counted_ahead(self, hub: str, sku: str, order: OrderPlaced) -> Counts:
        await self.flush()
        return await outlooks.counted(
            self.conn, hub, sku, order.priority_class, order.placed_at, order.sequence
        )

    async def join(
        self, hub: str, sku: str, orders: list[OrderPlaced], told: dict[uuid.UUID, date | None]
    ) -> set[uuid.UUID]:
        """Insert the orders; answer those that wait (not a duplicate, not cancelled early)."""
        await self.flush()
        rows = await self.conn.fetch(
            queue.ORDERS_INSERT,
            hub,
            sku,
            [o.order_id for o in orders],
            [o.quantity for o in orders],
            [o.placed_at for o in orders],
            [o.sequence for o in orders],
            [o.buyer_key for o in orders],
            [o.priority_class for o in orders],
            [o.accept_partial for o in orders],
            [told[o.order_id] for o in orders],
            [o.programme and o.programme.programme_id for o in orders],
            [o.programme and o.programme.unit_price for o in orders],
        )
        waiting = {row["order_id"] for row in rows if row["state"] == "waiting"}
        if (known := self._known.get((hub, sku))) is not None:
            known.joined([o for o in orders if o.order_id in waiting])
        return waiting

    def tell_estimates(self, moved: dict[uuid.UUID, date | None]) -> None:
        self._estimates.update(moved)

    async def order_state(self, order_id: uuid.UUID) -> str | None:
        await self.flush()
        return await self.conn.fetchval(queue.ORDER_STATE, order_id)

    def remember_cancel(self, order_id: uuid.UUID, cancelled_at: datetime) -> None:
        self._known.clear()
        self._early_cancels.setdefault(order_id, cancelled_at)

    def cancel(self, order_id: uuid.UUID, released: list[Allocation]) -> None:
        self._known.clear()
        self._return_to_lots(released)
        self._cancels[order_id] = sum(a.quantity for a in released)

    async def release_held(self, order_id: uuid.UUID) -> list[Allocation]:
        await self.flush()
        self._known.clear()
        rows = await self.conn.fetch(allocations.HELD_END, order_id, "released")
        return [_allocation(row, order_id) for row in rows]

    def fulfil(self, order_id: uuid.UUID) -> None:
        self._fulfilled.add(order_id)

    async def expire_due(self, hub: str, sku: str, limit: int) -> list[ExpiredHold]:
        await self.flush()
        self._known.clear()
        rows = await self.conn.fetch(allocations.EXPIRE_DUE, hub, sku, limit)
        return [ExpiredHold(_allocation(row, row["order_id"]), row["hold_until"]) for row in rows]

    def forfeit(self, expired: list[Allocation]) -> None:
        self._known.clear()
        self._return_to_lots(expired)
        for order_id, units in total_by_order(expired).items():
            self._forfeits[order_id] += units

    def _return_to_lots(self, given_back: list[Allocation]) -> None:
        for delivery_id, units in total_by_lot(given_back).items():
            self._lot_returns[delivery_id] -= units

    async def fill_start(self, hub: str, sku: str) -> FillStart | None:
        """None when the product has no stock or no one waiting: nothing to fill. Answered
        from what the batch holds when its new orders' outlook read the product and nothing
        but their joining changed it since."""
        if (known := self._known.get((hub, sku))) is not None:
            if not known.stock or not known.totals:
                return None
            return FillStart(known.stock, dict(known.totals), known.policy, known.day)
        await self.flush()
        row = await self.conn.fetchrow(lots.FILL_START, hub, sku)
        stock, totals = lots.lots_from(row), lots.totals_from(row)
        if not stock or not totals:
            return None
        policy = stored_policies.from_row(row, classes="class_rules")
        return FillStart(stock, totals, policy, today(zone_named(row["timezone"])))

    async def queue_head(
        self, hub: str, sku: str, priority_class: str, limit: int | None
    ) -> list[Claim]:
        known = self._known.get((hub, sku))
        if known is not None and priority_class not in known.waited:
            # No one waited in the class before the batch's orders joined: they are its head.
            return known.new_claims(priority_class)[:limit]
        await self.flush()
        rows = await self.conn.fetch(queue.QUEUE_HEAD, hub, sku, priority_class, limit)
        return [queue.claim_from(row) for row in rows]

    async def taken_today(
        self, hub: str, sku: str, day: date, buyers: Iterable[str]
    ) -> dict[str, int]:
        buyers = set(buyers)
        known = self._known.get((hub, sku))
        if known is not None and day == known.day and buyers <= known.buyers:
            return {buyer: known.taken[buyer] for buyer in buyers if buyer in known.taken}
        await self.flush()
        rows = await self.conn.fetch(allocations.TAKEN_TODAY, hub, sku, day, list(set(buyers)))
        return {row["buyer_key"]: row["units"] for row in rows}

    async def add_draw(
        self, hub: str, sku: str, policy_version: int, seed: int, entrants: dict, units: int
    ) -> int:
        return await self.conn.fetchval(
            allocations.DRAW_INSERT, hub, sku, policy_version, seed, entrants, units
        )

    def record_fill(self, record: FillRecord) -> None:
        self._known.clear()
        self._fills.append(record)

    async def add_policy(self, hub: str, sku: str, rules: PolicyRules) -> None:
        self._known.clear()
        await stored_policies.add_version(self.conn, hub, sku, rules)

    async def day_figures(self, hub: str, sku: str, day: date) -> DaySummarised:
        await self.flush()
        return await days.figures(self.conn, hub, sku, day, await hubs.zone_of(self.conn, hub))

    async def record_summary(self, hub: str, summary: DaySummarised) -> bool:
        """Store the day's summary; False when another allocator stored it first."""
        day = await self.conn.fetchval(
            days.SUMMARY_INSERT, hub, summary.sku, summary.day, summary.model_dump(mode="json")
        )
        return day is not None

    async def product_outlook(self, hub: str, sku: str) -> tuple[Policy, Outlook]:
        await self.flush()
        policy = await stored_policies.active(self.conn, hub, sku)
        return policy, await outlooks.of_product(self.conn, hub, sku)

    async def waiting_in_order(self, hub: str, sku: str) -> list[Waiting]:
        await self.flush()
        return await days.waiting_in_order(self.conn, hub, sku)

    async def flush(self) -> None:
        """Write what is held, a statement per kind, consecutive kinds on different tables
        together (store/writes.py), and hold nothing (the arrivals wait for their product to be
        settled)."""
        writes = list(self._writes())
        if writes:
            await write_all(self.conn, writes)

    def _writes(self):
        """What is held, as writes in the order they must be made, and nothing held after."""
        if self._hubs:
            hubs_, self._hubs = self._hubs, {}
            yield Write(hubs.HUBS_UPSERT, [list(hubs_), list(hubs_.values())], _HUBS)
        if self._lots:
            rows, self._lots = list(self._lots.values()), {}
            yield Write(lots.LOTS_INSERT, columns(rows, 6), _LOTS)
        if self._early_cancels:
            early, self._early_cancels = self._early_cancels, {}
            early_rows = [list(early), list(early.values())]
            yield Write(queue.EARLY_CANCELLATIONS_INSERT, early_rows, _EARLY)
        if self._lot_returns:
            back, self._lot_returns = self._lot_returns, defaultdict(int)
            yield Write(lots.LOTS_ALLOCATED_ADD, [list(back), list(back.values())], _LOTS)
        if self._cancels:
            gone, self._cancels = self._cancels, {}
            yield Write(queue.ORDERS_CANCEL, [list(gone), list(gone.values())], QUEUE)
        if self._forfeits:
            lost, self._forfeits = self._forfeits, defaultdict(int)
            yield Write(queue.QUEUE_FORFEIT, [list(lost), list(lost.values())], QUEUE)
        if self._fulfilled:
            done, self._fulfilled = self._fulfilled, set()
            yield Write(allocations.HELD_FULFIL, [list(done)], _ALLOCATIONS)
        if self._estimates:
            moved, self._estimates = self._estimates, {}
            yield Write(queue.ESTIMATES_TOLD, [list(moved), list(moved.values())], QUEUE)
        if self._fills:
            fills, self._fills = self._fills, []
            yield from fill_writes(fills)
        if self._events:
            events, self._events = self._events, []
            if (stored := outbox_write(events)) is not None:
                yield stored


_HUBS = frozenset({"hubs"})
_LOTS = frozenset({"lots"})
_EARLY = frozenset({"early_cancellations"})
_ALLOCATIONS = frozenset({"allocations"})


class _Known:
    """What the batch knows of a product since its new orders' outlook read it: the lots with
    stock, the waiting (orders, units) per class, the policy, the hub's day and the units the
    arriving orders' buyers took that day, with the orders that joined since (each class's, in
    queue order). Valid only while nothing else changes the product's stock, queue or buyers'
    days: the unit of work forgets it then."""

    def __init__(
        self,
        stock: list[Lot],
        totals: dict[str, tuple[int, int]],
        policy: Policy,
        day: date,
        buyers: set[str],
        taken: dict[str, int],
    ) -> None:
        self.stock = stock
        self.totals = totals
        self.policy = policy
        self.day = day
        self.buyers = buyers
        self.taken = taken
        self.waited = set(totals)  # the classes someone waited in before the orders joined
        self._new: dict[str, list[OrderPlaced]] = defaultdict(list)

    def joined(self, orders: list[OrderPlaced]) -> None:
        for order in orders:
            orders_, units = self.totals.get(order.priority_class, (0, 0))
            self.totals[order.priority_class] = (orders_ + 1, units + order.quantity)
            self._new[order.priority_class].append(order)

    def new_claims(self, priority_class: str) -> list[Claim]:
        """The orders that joined the class, as the queue's head reads them (queue.claim_from)."""
        joined = sorted(self._new.get(priority_class, ()), key=lambda o: (o.placed_at, o.sequence))
        return [
            Claim(
                order_id=o.order_id,
                requested=o.quantity,
                buyer=o.buyer_key,
                priority_class=o.priority_class,
                accept_partial=o.accept_partial,
                programme=(
                    None
                    if o.programme is None
                    else (o.programme.programme_id, o.programme.unit_price)
                ),
            )
            for o in joined
        ]


def _allocation(row: asyncpg.Record, order_id: uuid.UUID) -> Allocation:
    return Allocation(order_id, row["delivery_id"], row["producer_id"], row["quantity"])
