"""A product's outlook, read from the database: the queue's totals per class and the hub's
recent supply, from which an order's place and estimated date follow (see `estimates`).

Nothing here counts a long queue: the totals come from the rows the queue's trigger keeps per
class and hour, and new orders, which join the tail of their class, have only each other behind
them.
"""

import uuid
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

import asyncpg

from services.allocator import days, estimates, policies, store
from services.allocator.domain import Policy
from shared.events import OrderPlaced

Counts = tuple[int, int]  # (orders, units)


@dataclass(frozen=True)
class Outlook:
    totals: dict[str, Counts]  # class -> waiting (orders, units)
    today: date
    supplied_last_week: int
    supplied_today: int

    def estimate(self, units_ahead: int, wanted: int) -> date | None:
        return estimates.estimated_date(
            self.today, units_ahead, wanted, self.supplied_last_week, self.supplied_today
        )


# The last waiting order of a class, (placed_at, sequence); None when the class is empty.
Tail = tuple[datetime, int] | None


@dataclass(frozen=True)
class NewOrdersOutlook:
    """What new orders of a product need to take their places: its policy, its outlook, and
    the tail of each of their classes."""

    policy: Policy
    view: Outlook
    tails: dict[str, Tail]


async def of_product(conn: asyncpg.Connection, hub: str, sku: str) -> Outlook:
    return _outlook_from(
        await conn.fetchrow(store.PRODUCT_OUTLOOK, hub, sku, days.DEFAULT_TIMEZONE)
    )


async def for_new_orders(
    conn: asyncpg.Connection, hub: str, sku: str, classes: set[str]
) -> NewOrdersOutlook:
    """The policy, the outlook and the tails of `classes`, in one round trip."""
    names = sorted(classes)
    row = await conn.fetchrow(store.NEW_ORDERS_OUTLOOK, hub, sku, days.DEFAULT_TIMEZONE, names)
    tails = {
        name: None if placed_at is None else (placed_at, sequence)
        for name, placed_at, sequence in zip(
            names, row["tail_placed_at"], row["tail_sequence"], strict=True
        )
    }
    return NewOrdersOutlook(policies.from_row(row), _outlook_from(row), tails)


def _outlook_from(row: asyncpg.Record) -> Outlook:
    return Outlook(
        totals={name: (orders, units) for name, (orders, units) in row["totals"].items()},
        today=row["today"],
        supplied_last_week=row["last_week"],
        supplied_today=row["supplied_today"],
    )


async def already_ahead(
    conn: asyncpg.Connection, hub: str, sku: str, orders: list[OrderPlaced], known: NewOrdersOutlook
) -> dict[uuid.UUID, Counts]:
    """(orders, units) of the queue as it stands, ahead of each new order in its class.

    An order placed after the last waiting order of its class has the whole class ahead of it;
    one that arrives late (placed before some waiting order) is counted the long way.
    """
    ahead = {}
    for order in orders:
        tail = known.tails[order.priority_class]
        if tail is None or (order.placed_at, order.sequence) > tail:
            ahead[order.order_id] = known.view.totals.get(order.priority_class, (0, 0))
        else:
            ahead[order.order_id] = await _counted(
                conn, hub, sku, order.priority_class, order.placed_at, order.sequence
            )
    return ahead


def places_of_new(
    policy: Policy,
    view: Outlook,
    orders: list[OrderPlaced],
    already: dict[uuid.UUID, Counts],
    joined: set[uuid.UUID],
) -> dict[uuid.UUID, Counts]:
    """(position, units ahead) of each new order once those in `joined` are in the queue: what
    was ahead of it already, and the new orders of its class placed before it."""
    totals = dict(view.totals)
    # Per class, the joined orders in queue order with running unit sums: what is before an
    # order is found by bisection, not by comparing every pair.
    keys: dict[str, list] = defaultdict(list)
    running: dict[str, list[int]] = defaultdict(lambda: [0])
    for order in sorted(orders, key=lambda o: (o.placed_at, o.sequence)):
        if order.order_id in joined:
            keys[order.priority_class].append((order.placed_at, order.sequence))
            running[order.priority_class].append(running[order.priority_class][-1] + order.quantity)
    for name, members in keys.items():
        count, units = totals.get(name, (0, 0))
        totals[name] = (count + len(members), units + running[name][-1])
    places = {}
    for order in orders:
        before = bisect_left(keys[order.priority_class], (order.placed_at, order.sequence))
        count, units = already[order.order_id]
        places[order.order_id] = estimates.place_in_queue(
            policy,
            totals,
            order.priority_class,
            (count + before, units + running[order.priority_class][before]),
        )
    return places


async def ahead(conn: asyncpg.Connection, order: asyncpg.Record) -> Counts:
    """(orders, units) waiting ahead of a queued order in its class."""
    return await _counted(
        conn,
        order["hub"],
        order["sku"],
        order["priority_class"],
        order["placed_at"],
        order["sequence"],
    )


async def _counted(
    conn: asyncpg.Connection,
    hub: str,
    sku: str,
    priority_class: str,
    placed_at: datetime,
    sequence: int,
) -> Counts:
    hour = placed_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    row = await conn.fetchrow(store.AHEAD, hub, sku, priority_class, placed_at, sequence, hour)
    return row["orders"], row["units"]
