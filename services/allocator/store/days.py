"""A hub's days: the summaries of the days that ended, and the figures they are made of."""

import uuid
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import asyncpg

from services.allocator.rules.days import bounds
from shared.events import DaySummarised

PRODUCTS = """
SELECT hub, sku FROM queue_totals
UNION
SELECT DISTINCT hub, sku FROM lots
"""
LAST_SUMMARISED = "SELECT max(day) FROM day_summaries WHERE hub = $1 AND sku = $2"
SUMMARY_INSERT = """
INSERT INTO day_summaries (hub, sku, day, summary) VALUES ($1, $2, $3, $4)
ON CONFLICT (hub, sku, day) DO NOTHING
RETURNING day
"""
DAY_FIGURES = """
SELECT
    (SELECT coalesce(sum(accepted), 0) FROM lots
     WHERE hub = $1 AND sku = $2 AND received_at >= $3 AND received_at < $4) AS received,
    (SELECT coalesce(sum(quantity), 0) FROM allocations
     WHERE hub = $1 AND sku = $2 AND allocated_at >= $3 AND allocated_at < $4) AS allocated,
    (SELECT coalesce(sum(quantity) FILTER (WHERE state = 'fulfilled'), 0) FROM allocations
     WHERE hub = $1 AND sku = $2 AND ended_at >= $3 AND ended_at < $4) AS fulfilled,
    (SELECT coalesce(sum(quantity) FILTER (WHERE state = 'expired'), 0) FROM allocations
     WHERE hub = $1 AND sku = $2 AND ended_at >= $3 AND ended_at < $4) AS expired,
    (SELECT coalesce(sum(units), 0) FROM queue_totals WHERE hub = $1 AND sku = $2)
        AS waiting_units,
    (SELECT coalesce(sum(orders), 0) FROM queue_totals WHERE hub = $1 AND sku = $2)
        AS waiting_orders,
    -- The buyers waiting, less those of them served on the day, from the counts the triggers
    -- keep (migration 0003) for the latest day anyone was served; for a day before that (a
    -- close after the next day's first fill), a look-up per buyer served that day.
    coalesce((
        SELECT CASE
            WHEN served_day IS NULL OR served_day < $5 THEN buyers
            WHEN served_day = $5 THEN buyers - served_waiting
            ELSE buyers - (SELECT count(*) FROM queue_buyers
                           WHERE hub = $1 AND sku = $2 AND buyer_key = ANY(ARRAY(
                               SELECT buyer_key FROM buyer_days
                               WHERE hub = $1 AND sku = $2 AND day = $5)))
        END
        FROM queue_buyer_totals WHERE hub = $1 AND sku = $2
    ), 0) AS buyers_unserved
"""
# Every waiting order with what waits before it in its class, in one pass over the queue.
WAITING_WITH_RUNNING_TOTALS = """
SELECT order_id, priority_class, estimated_date,
       quantity - allocated - forfeited AS wanted,
       row_number() OVER in_class - 1 AS orders_before,
       sum(quantity - allocated - forfeited) OVER in_class - (quantity - allocated - forfeited)
           AS units_before
FROM queue
WHERE hub = $1 AND sku = $2 AND state = 'waiting'
WINDOW in_class AS (PARTITION BY priority_class ORDER BY placed_at, sequence)
"""
SUMMARIES = """
SELECT summary FROM day_summaries
WHERE hub = $1 AND day BETWEEN $2 AND $3 AND ($4::text IS NULL OR sku = $4)
ORDER BY day, sku
"""
# The hub's products as the day's close finds them (PRODUCTS).
HUB_PRODUCTS = """
SELECT sku FROM queue_totals WHERE hub = $1 AND ($2::text IS NULL OR sku = $2)
UNION
SELECT DISTINCT sku FROM lots WHERE hub = $1 AND ($2::text IS NULL OR sku = $2)
ORDER BY sku
"""


@dataclass(frozen=True)
class Waiting:
    """A waiting order with what waits before it in its class: (orders, units)."""

    order_id: uuid.UUID
    priority_class: str
    estimated_date: date | None
    wanted: int
    before: tuple[int, int]


async def figures(
    conn: asyncpg.Connection, hub: str, sku: str, day: date, zone: ZoneInfo
) -> DaySummarised:
    """The product's figures of `day` in the hub's `zone`; the waiting ones as they stand now.
    Read for a day that ended, they are its summary; for today, the day so far."""
    start, end = bounds(day, zone)
    row = await conn.fetchrow(DAY_FIGURES, hub, sku, start, end, day)
    return DaySummarised(day=day, timezone=zone.key, sku=sku, **dict(row))


async def waiting_in_order(conn: asyncpg.Connection, hub: str, sku: str) -> list[Waiting]:
    return [
        Waiting(
            row["order_id"],
            row["priority_class"],
            row["estimated_date"],
            row["wanted"],
            (row["orders_before"], row["units_before"]),
        )
        for row in await conn.fetch(WAITING_WITH_RUNNING_TOTALS, hub, sku)
    ]
