"""The end of a hub's day: a summary of each product's day, and a fresh look at every waiting
order's estimated date, telling buyers whose date moved."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from services.allocator import days, estimates, policies
from services.allocator.handlers.filling import Emit
from services.allocator.store import outlooks, queue
from shared import outbox
from shared.events import DaySummarised, OrderEstimateMoved

# Days missed while no allocator ran are summarised on start, this far back at most.
CATCH_UP_DAYS = 7

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


def days_to_summarise(last_summarised: date | None, today: date) -> list[date]:
    """Each ended day not yet summarised, oldest first, going back at most CATCH_UP_DAYS; for
    a product never summarised, yesterday alone."""
    if last_summarised is None:
        return [today - timedelta(days=1)]
    first = max(today - timedelta(days=CATCH_UP_DAYS), last_summarised + timedelta(days=1))
    return [first + timedelta(days=n) for n in range((today - first).days)]


async def figures(
    conn: asyncpg.Connection, hub: str, sku: str, day: date, zone: ZoneInfo
) -> DaySummarised:
    """The product's figures of `day` in the hub's `zone`; the waiting ones as they stand now.
    Read for a day that ended, they are its summary; for today, the day so far."""
    start, end = days.bounds(day, zone)
    row = await conn.fetchrow(DAY_FIGURES, hub, sku, start, end, day)
    return DaySummarised(day=day, timezone=zone.key, sku=sku, **dict(row))


async def summarise(
    conn: asyncpg.Connection, hub: str, sku: str, day: date, emit: Emit
) -> DaySummarised | None:
    """Publish the product's summary of `day`, once, however many allocators try."""
    summary = await figures(conn, hub, sku, day, await days.zone_of(conn, hub))
    inserted = await conn.fetchval(SUMMARY_INSERT, hub, sku, day, summary.model_dump(mode="json"))
    if inserted is None:
        return None
    await outbox.add(conn, emit(summary))
    return summary


async def retell_estimates(conn: asyncpg.Connection, hub: str, sku: str, emit: Emit) -> int:
    """Recompute every waiting order's estimated date; tell the buyers whose date moved."""
    policy = await policies.active(conn, hub, sku)
    view = await outlooks.of_product(conn, hub, sku)
    moved, news = {}, []
    for row in await conn.fetch(WAITING_WITH_RUNNING_TOTALS, hub, sku):
        position, units_ahead = estimates.place_in_queue(
            policy, view.totals, row["priority_class"], (row["orders_before"], row["units_before"])
        )
        estimated = view.estimate(units_ahead, row["wanted"])
        if estimated == row["estimated_date"]:
            continue  # dates are whole days: any change is a move of a day or more
        moved[row["order_id"]] = estimated
        news.append(
            emit(
                OrderEstimateMoved(
                    order_id=row["order_id"],
                    sku=sku,
                    position=position,
                    units_ahead=units_ahead,
                    estimated_date=estimated,
                    previous_date=row["estimated_date"],
                )
            )
        )
    await conn.execute(queue.ESTIMATES_TOLD, list(moved), list(moved.values()))
    await outbox.add(conn, *news)
    return len(news)
