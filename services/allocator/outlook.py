"""A product's outlook, read from the database: the queue's totals per class and the hub's
recent supply, from which an order's place and estimated date follow (see `estimates`).

Nothing here counts a long queue: the totals come from the rows the queue's trigger keeps per
class and day, and new orders, which join the tail of their class, have only each other behind
them.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import asyncpg

from services.allocator import days, estimates, store
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


async def of_product(conn: asyncpg.Connection, hub: str, sku: str) -> Outlook:
    zone = await days.zone_of(conn, hub)
    today = days.today(zone)
    supply = await conn.fetchrow(store.RECENT_SUPPLY, hub, sku, days.start_of(today, zone))
    return Outlook(
        totals=await store.class_totals(conn, hub, sku),
        today=today,
        supplied_last_week=supply["last_week"],
        supplied_today=supply["today"],
    )


async def ahead_of_new(
    conn: asyncpg.Connection, hub: str, sku: str, orders: list[OrderPlaced], view: Outlook
) -> dict[uuid.UUID, Counts]:
    """(orders, units) ahead of each newly queued order in its class.

    An order placed after every other waiting order of its class has ahead of it the class's
    total less itself and the new orders behind it; an order that arrives late (placed before
    some waiting order) is counted the long way.
    """
    by_class: dict[str, list[OrderPlaced]] = defaultdict(list)
    for order in orders:
        by_class[order.priority_class].append(order)
    new_ids = [order.order_id for order in orders]
    ahead = {}
    for priority_class, members in by_class.items():
        tail = await conn.fetchrow(store.TAIL_OF_CLASS, hub, sku, priority_class, new_ids)
        class_orders, class_units = view.totals[priority_class]
        for order in members:
            key = (order.placed_at, order.sequence)
            if tail is not None and key < (tail["placed_at"], tail["sequence"]):
                ahead[order.order_id] = await _counted(
                    conn, hub, sku, priority_class, order.placed_at, order.sequence
                )
                continue
            behind = [m for m in members if (m.placed_at, m.sequence) >= key]
            ahead[order.order_id] = (
                class_orders - len(behind),
                class_units - sum(m.quantity for m in behind),
            )
    return ahead


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
    day = placed_at.astimezone(UTC).date()
    midnight = datetime.combine(day, time(0), tzinfo=UTC)
    row = await conn.fetchrow(
        store.AHEAD, hub, sku, priority_class, placed_at, sequence, day, midnight
    )
    return row["orders"], row["units"]
