"""Reading a product's outlook: the queue's totals per class, the hub's day and its recent
supply, and (for new orders) the product's policy and the tail of each class."""

from datetime import UTC, datetime

import asyncpg

from services.allocator.rules.days import DEFAULT_TIMEZONE
from services.allocator.rules.domain import Lot
from services.allocator.rules.outlook import Counts, NewOrdersOutlook, Outlook
from services.allocator.store import lots, queue
from services.allocator.store import policies as stored_policies


async def of_product(conn: asyncpg.Connection, hub: str, sku: str) -> Outlook:
    return _outlook_from(await conn.fetchrow(queue.PRODUCT_OUTLOOK, hub, sku, DEFAULT_TIMEZONE))


async def for_new_orders(
    conn: asyncpg.Connection, hub: str, sku: str, classes: set[str], buyers: set[str]
) -> tuple[NewOrdersOutlook, list[Lot], dict[str, int]]:
    """The policy, the outlook and the tails of `classes`, and the lots with stock and the
    units `buyers` took today (what a fill after the orders starts from), in one round trip."""
    names = sorted(classes)
    row = await conn.fetchrow(
        queue.NEW_ORDERS_OUTLOOK, hub, sku, DEFAULT_TIMEZONE, names, list(buyers)
    )
    tails = {
        name: None if placed_at is None else (placed_at, sequence)
        for name, placed_at, sequence in zip(
            names, row["tail_placed_at"], row["tail_sequence"], strict=True
        )
    }
    stock = lots.lots_from(row)
    on_hand = sum(lot.available for lot in stock)
    known = NewOrdersOutlook(stored_policies.from_row(row), _outlook_from(row), tails, on_hand)
    return known, stock, row["taken_today"]


def _outlook_from(row: asyncpg.Record) -> Outlook:
    return Outlook(
        totals={name: (orders, units) for name, (orders, units) in row["totals"].items()},
        today=row["today"],
        supplied_last_week=row["last_week"],
        supplied_today=row["supplied_today"],
    )


async def ahead(conn: asyncpg.Connection, order: asyncpg.Record) -> Counts:
    """(orders, units) waiting ahead of a queued order (a row of the queue) in its class."""
    return await counted(
        conn,
        order["hub"],
        order["sku"],
        order["priority_class"],
        order["placed_at"],
        order["sequence"],
    )


async def counted(
    conn: asyncpg.Connection,
    hub: str,
    sku: str,
    priority_class: str,
    placed_at: datetime,
    sequence: int,
) -> Counts:
    """(orders, units) waiting before (placed_at, sequence) in the class, counted the long way:
    whole hours from the totals, then the order's own hour."""
    hour = placed_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    row = await conn.fetchrow(queue.AHEAD, hub, sku, priority_class, placed_at, sequence, hour)
    return row["orders"], row["units"]
