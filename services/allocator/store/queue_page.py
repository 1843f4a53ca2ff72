"""A page of a product's queue, however deep it starts, each order with what waits ahead of it
in its class (from which its place and estimated date follow: `estimates.place_in_queue`).

Nothing counts the queue up to the page: whole classes before it are skipped by their totals,
whole hours of its class by the counts the queue's trigger keeps per hour placed, and only the
orders of the page's first hour before the page are read.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

# The first hour of a class holding its `$4`-th waiting order (from 0), with the orders and
# units of the class's hours before it.
PAGE_START = """
SELECT placed_hour, orders_before, units_before FROM (
    SELECT placed_hour, orders,
           (sum(orders) OVER earlier - orders)::bigint AS orders_before,
           (sum(units) OVER earlier - units)::bigint AS units_before
    FROM queue_hours
    WHERE hub = $1 AND sku = $2 AND priority_class = $3 AND orders > 0
    WINDOW earlier AS (ORDER BY placed_hour ROWS UNBOUNDED PRECEDING)
) AS running
WHERE orders_before + orders > $4
ORDER BY placed_hour
LIMIT 1
"""
# The class's waiting orders from the hour `$4` on, in queue order, from the `$6`-th: each
# with the units still wanted by those before it since that hour (the window is summed before
# the offset is applied).
PAGE = """
SELECT order_id, priority_class, quantity, allocated, forfeited, accept_partial, placed_at,
       quantity - allocated - forfeited AS wanted,
       sum(quantity - allocated - forfeited) OVER (
           ORDER BY placed_at, sequence ROWS UNBOUNDED PRECEDING
       ) - (quantity - allocated - forfeited) AS units_before
FROM queue
WHERE hub = $1 AND sku = $2 AND priority_class = $3 AND state = 'waiting' AND placed_at >= $4
ORDER BY placed_at, sequence
LIMIT $5 OFFSET $6
"""
# Before every hour: where a class is read from when its hours do not say (they always do).
_DAWN = datetime(1, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Waiting:
    order: asyncpg.Record
    # Ahead of it in its own class: (orders, units still wanted).
    ahead_in_class: tuple[int, int]


async def read(
    conn: asyncpg.Connection,
    hub: str,
    sku: str,
    classes: list[str],
    totals: dict[str, tuple[int, int]],
    offset: int,
    limit: int,
) -> list[Waiting]:
    """`limit` waiting orders from the `offset`-th (from 0), `classes` in queue order and
    `totals` their waiting (orders, units), read in the caller's snapshot."""
    page: list[Waiting] = []
    skip = offset
    for name in classes:
        in_class = totals.get(name, (0, 0))[0]
        if skip >= in_class:  # the whole class is before the page
            skip -= in_class
            continue
        start = await conn.fetchrow(PAGE_START, hub, sku, name, skip)
        hour, orders_before, units_before = start if start is not None else (_DAWN, 0, 0)
        rows = await conn.fetch(PAGE, hub, sku, name, hour, limit - len(page), skip - orders_before)
        for index, row in enumerate(rows):
            page.append(Waiting(row, (skip + index, units_before + row["units_before"])))
        skip = 0
        if len(page) == limit:
            break
    return page
