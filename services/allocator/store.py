"""The allocator's SQL: lots, the queue, allocations and their holds."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import asyncpg

from services.allocator.domain import Allocation, Claim, Lot, Skip, total_by_lot, total_by_order

# Every change to one (hub, product) takes this lock first, so replicas take turns per product
# and never per hub: different products and hubs allocate in parallel. A batch takes its
# products' locks in one sorted order, so two replicas never wait on each other in a circle.
LOCK_PRODUCT = "SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))"

HUB_UPSERT = """
INSERT INTO hubs (hub, timezone) VALUES ($1, $2)
ON CONFLICT (hub) DO UPDATE SET timezone = excluded.timezone
"""
HUB_TIMEZONE = "SELECT timezone FROM hubs WHERE hub = $1"

LOT_INSERT = """
INSERT INTO lots (delivery_id, hub, sku, producer_id, accepted, received_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (delivery_id) DO NOTHING
"""
# What a fill starts from, in one round trip: the lots with stock (oldest first), the waiting
# totals per class, the active policy (its columns NULL when none was set) and the hub's zone.
FILL_START = """
SELECT stock.delivery_ids, stock.producer_ids, stock.available,
       waiting.classes, waiting.orders, waiting.units,
       policy.version, policy.mode, policy.per_buyer_daily_cap, policy.classes AS class_rules,
       policy.hold_seconds,
       (SELECT timezone FROM hubs WHERE hub = $1) AS timezone
FROM (
    SELECT array_agg(delivery_id ORDER BY received_at, delivery_id) AS delivery_ids,
           array_agg(producer_id ORDER BY received_at, delivery_id) AS producer_ids,
           array_agg(accepted - allocated ORDER BY received_at, delivery_id) AS available
    FROM lots WHERE hub = $1 AND sku = $2 AND allocated < accepted
) AS stock, (
    SELECT array_agg(priority_class) AS classes, array_agg(orders) AS orders,
           array_agg(units) AS units
    FROM queue_totals WHERE hub = $1 AND sku = $2 AND orders > 0
) AS waiting
LEFT JOIN LATERAL (
    SELECT version, mode, per_buyer_daily_cap, classes, hold_seconds FROM policies
    WHERE hub = $1 AND sku = $2 ORDER BY version DESC LIMIT 1
) AS policy ON true
"""
# Accepted units over the last week and since the hub's day began, for estimated dates.
# Everything a product's outlook needs, in one round trip: the hub's zone and day, the units
# accepted over the last week and since the day began there, and the waiting totals per class.
PRODUCT_OUTLOOK = """
WITH zone AS (
    SELECT coalesce((SELECT timezone FROM hubs WHERE hub = $1), $3) AS name
), day AS (
    SELECT name, (now() AT TIME ZONE name)::date AS today,
           date_trunc('day', now() AT TIME ZONE name) AT TIME ZONE name AS began
    FROM zone
)
SELECT day.name AS timezone, day.today,
       (SELECT coalesce(sum(accepted), 0) FROM lots
        WHERE hub = $1 AND sku = $2 AND received_at >= now() - interval '7 days') AS last_week,
       (SELECT coalesce(sum(accepted), 0) FROM lots
        WHERE hub = $1 AND sku = $2 AND received_at >= day.began) AS supplied_today,
       (SELECT coalesce(jsonb_object_agg(priority_class, jsonb_build_array(orders, units)), '{}')
        FROM queue_totals WHERE hub = $1 AND sku = $2 AND orders > 0) AS totals
FROM day
"""

ORDERS_INSERT = """
INSERT INTO queue (order_id, hub, sku, quantity, placed_at, sequence, state, buyer_key,
                   priority_class, accept_partial, estimated_date)
SELECT order_id, $1, $2, quantity, placed_at, sequence,
       CASE WHEN EXISTS (SELECT 1 FROM early_cancellations e WHERE e.order_id = new.order_id)
            THEN 'cancelled' ELSE 'waiting' END,
       buyer_key, priority_class, accept_partial, estimated_date
FROM unnest($3::uuid[], $4::int[], $5::timestamptz[], $6::bigint[], $7::text[], $8::text[],
            $9::bool[], $10::date[])
     AS new (order_id, quantity, placed_at, sequence, buyer_key, priority_class, accept_partial,
             estimated_date)
ON CONFLICT (order_id) DO NOTHING
RETURNING order_id, state
"""
# Waiting orders and units per product, for the metrics: from the totals too, so a few rows per
# product however long its queue (a product whose queue emptied stays, at zero).
WAITING_BY_PRODUCT = """
SELECT hub, sku, sum(orders)::bigint AS orders, sum(units)::bigint AS units
FROM queue_totals
GROUP BY hub, sku
"""
# What new orders of the classes $4 need to take their places, in one round trip: the
# product's outlook, its active policy (columns NULL when none was set), and the last waiting
# order of each of those classes (NULL for an empty class), which a new order placed after it
# joins behind.
NEW_ORDERS_OUTLOOK = f"""
SELECT outlook.*, policy.*, tails.placed_at AS tail_placed_at, tails.sequence AS tail_sequence
FROM ({PRODUCT_OUTLOOK}) AS outlook
LEFT JOIN LATERAL (
    SELECT version, mode, per_buyer_daily_cap, classes, hold_seconds FROM policies
    WHERE hub = $1 AND sku = $2 ORDER BY version DESC LIMIT 1
) AS policy ON true
CROSS JOIN (
    SELECT array_agg(tail.placed_at ORDER BY class.n) AS placed_at,
           array_agg(tail.sequence ORDER BY class.n) AS sequence
    FROM unnest($4::text[]) WITH ORDINALITY AS class (name, n)
    LEFT JOIN LATERAL (
        SELECT placed_at, sequence FROM queue
        WHERE hub = $1 AND sku = $2 AND priority_class = class.name AND state = 'waiting'
        ORDER BY placed_at DESC, sequence DESC
        LIMIT 1
    ) AS tail ON true
) AS tails
"""
# What waits ahead of one order in its class: whole hours from the totals, then the order's own
# hour (from $6) read up to the order.
AHEAD = """
SELECT coalesce(sum(orders), 0)::bigint AS orders, coalesce(sum(units), 0)::bigint AS units
FROM (
    SELECT orders, units FROM queue_hours
    WHERE hub = $1 AND sku = $2 AND priority_class = $3 AND placed_hour < $6
    UNION ALL
    SELECT count(*), sum(quantity - allocated - forfeited) FROM queue
    WHERE hub = $1 AND sku = $2 AND priority_class = $3 AND state = 'waiting'
      -- The plain range lets the planner see how few rows an hour holds; the row comparison
      -- alone it guesses at a third of the table, and scans all of it.
      AND placed_at >= $6 AND placed_at <= $4 AND (placed_at, sequence) < ($4, $5)
) AS parts
"""
ESTIMATES_TOLD = """
UPDATE queue SET estimated_date = told.day
FROM unnest($1::uuid[], $2::date[]) AS told (order_id, day)
WHERE queue.order_id = told.order_id
"""

# The head of one class's queue: at most one order per available unit can be served first.
QUEUE_HEAD = """
SELECT order_id, quantity, allocated, forfeited, buyer_key, priority_class, accept_partial
FROM queue
WHERE hub = $1 AND sku = $2 AND priority_class = $3 AND state = 'waiting'
ORDER BY placed_at, sequence
LIMIT $4
"""
TAKEN_TODAY = """
SELECT buyer_key, units FROM buyer_days
WHERE hub = $1 AND sku = $2 AND day = $3 AND buyer_key = ANY($4::text[])
"""
BUYER_DAYS_ADD = """
INSERT INTO buyer_days AS days (hub, sku, day, buyer_key, units)
SELECT $1, $2, $3, buyer_key, units FROM unnest($4::text[], $5::int[]) AS given (buyer_key, units)
ON CONFLICT (hub, sku, day, buyer_key) DO UPDATE SET units = days.units + excluded.units
"""
# A fill's allocations, the units they take from each lot and give to each order, in one
# statement (one round trip). Each table is changed by one part only, so the parts never see
# each other's rows; the lots' and the queue's checks still hold every unit to account.
ALLOCATIONS_RECORD = """
WITH given AS (
    INSERT INTO allocations (order_id, delivery_id, quantity, rule, hub, sku, policy_version,
                             hold_until, draw_id)
    SELECT order_id, delivery_id, quantity, rule, $5::text, $6::text, $7::int,
           $8::timestamptz, $9::bigint
    FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[]) AS given (order_id, delivery_id,
                                                                           quantity, rule)
), taken AS (
    UPDATE lots SET allocated = lots.allocated + change.quantity
    FROM unnest($10::uuid[], $11::int[]) AS change (delivery_id, quantity)
    WHERE lots.delivery_id = change.delivery_id
)
UPDATE queue SET
    allocated = queue.allocated + given.quantity,
    state = CASE WHEN queue.allocated + given.quantity + queue.forfeited = queue.quantity
                 THEN 'filled' ELSE 'waiting' END,
    skip_rule = NULL, skip_detail = NULL, skipped_at = NULL
FROM unnest($12::uuid[], $13::int[]) AS given (order_id, quantity)
WHERE queue.order_id = given.order_id
"""
LOTS_ALLOCATED_ADD = """
UPDATE lots SET allocated = lots.allocated + change.quantity
FROM unnest($1::uuid[], $2::int[]) AS change (delivery_id, quantity)
WHERE lots.delivery_id = change.delivery_id
"""
SKIPS_RECORD = """
UPDATE queue SET skip_rule = skip.rule, skip_detail = skip.detail, skipped_at = now()
FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) AS skip (order_id, rule, detail)
WHERE queue.order_id = skip.order_id
"""
DRAW_INSERT = """
INSERT INTO draws (hub, sku, policy_version, seed, entrants, units)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id
"""

ORDER_BY_ID = "SELECT * FROM queue WHERE order_id = $1"
QUEUE_VIEW = """
SELECT order_id, priority_class, quantity, allocated, forfeited, accept_partial, placed_at
FROM queue
WHERE hub = $1 AND sku = $2 AND priority_class = $3 AND state = 'waiting'
ORDER BY placed_at, sequence
LIMIT $4 OFFSET $5
"""
STOCK_VIEW = """
SELECT coalesce(sum(accepted), 0)::int AS received, coalesce(sum(allocated), 0)::int AS allocated
FROM lots WHERE hub = $1 AND sku = $2
"""
EARLY_CANCELLATION_INSERT = """
INSERT INTO early_cancellations (order_id, cancelled_at) VALUES ($1, $2)
ON CONFLICT (order_id) DO NOTHING
"""
# Ends an order's held allocations (released by a cancel, or fulfilled); answers what they were.
HELD_END = """
WITH ended AS (
    UPDATE allocations SET state = $2, ended_at = now()
    WHERE order_id = $1 AND state = 'held'
    RETURNING delivery_id, quantity
)
SELECT ended.delivery_id, lots.producer_id, sum(ended.quantity)::int AS quantity
FROM ended JOIN lots USING (delivery_id)
GROUP BY ended.delivery_id, lots.producer_id
"""
ORDER_CANCEL = """
UPDATE queue SET state = 'cancelled', allocated = allocated - $2 WHERE order_id = $1
"""
# Held allocations of one product whose time is up.
EXPIRE_DUE = """
WITH ended AS (
    UPDATE allocations SET state = 'expired', ended_at = now()
    WHERE id IN (
        SELECT id FROM allocations
        WHERE state = 'held' AND hold_until <= now() AND hub = $1 AND sku = $2
        LIMIT $3
    )
    RETURNING order_id, delivery_id, quantity, hold_until
)
SELECT ended.order_id, ended.delivery_id, lots.producer_id, ended.quantity, ended.hold_until
FROM ended JOIN lots USING (delivery_id)
ORDER BY ended.order_id
"""
QUEUE_FORFEIT = """
UPDATE queue SET allocated = queue.allocated - lost.quantity,
                 forfeited = queue.forfeited + lost.quantity
FROM unnest($1::uuid[], $2::int[]) AS lost (order_id, quantity)
WHERE queue.order_id = lost.order_id
"""


async def lock_products(conn: asyncpg.Connection, products: Iterable[tuple[str, str]]) -> None:
    for hub, sku in sorted(set(products)):
        await conn.execute(LOCK_PRODUCT, hub, sku)


async def fill_start(conn: asyncpg.Connection, hub: str, sku: str) -> asyncpg.Record:
    """FILL_START's one row; see `lots_from` and `totals_from`."""
    return await conn.fetchrow(FILL_START, hub, sku)


def lots_from(start: asyncpg.Record) -> list[Lot]:
    """The lots with stock, oldest first, from FILL_START's row."""
    return [
        Lot(delivery_id, producer_id, available)
        for delivery_id, producer_id, available in zip(
            start["delivery_ids"] or (),
            start["producer_ids"] or (),
            start["available"] or (),
            strict=True,
        )
    ]


def totals_from(start: asyncpg.Record) -> dict[str, tuple[int, int]]:
    """Waiting (orders, units) per class, from FILL_START's row."""
    return {
        name: (orders, units)
        for name, orders, units in zip(
            start["classes"] or (), start["orders"] or (), start["units"] or (), strict=True
        )
    }


async def queue_head(
    conn: asyncpg.Connection, hub: str, sku: str, priority_class: str, limit: int | None
) -> list[Claim]:
    rows = await conn.fetch(QUEUE_HEAD, hub, sku, priority_class, limit)
    return [claim_from(row) for row in rows]


def claim_from(row: asyncpg.Record) -> Claim:
    return Claim(
        order_id=row["order_id"],
        requested=row["quantity"],
        allocated=row["allocated"],
        forfeited=row["forfeited"],
        buyer=row["buyer_key"],
        priority_class=row["priority_class"],
        accept_partial=row["accept_partial"],
    )


async def waiting_by_product(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """(hub, sku, orders, units) waiting, for every product that ever had a queue."""
    return await conn.fetch(WAITING_BY_PRODUCT)


async def taken_today(
    conn: asyncpg.Connection, hub: str, sku: str, day: date, buyers: Iterable[str]
) -> dict[str, int]:
    rows = await conn.fetch(TAKEN_TODAY, hub, sku, day, list(set(buyers)))
    return {row["buyer_key"]: row["units"] for row in rows}


async def record_allocations(
    conn: asyncpg.Connection,
    allocations: Sequence[Allocation],
    *,
    hub: str,
    sku: str,
    policy_version: int,
    hold_until: datetime,
    draw_id: int | None,
) -> None:
    by_lot = total_by_lot(allocations)
    by_order = total_by_order(allocations)
    await conn.execute(
        ALLOCATIONS_RECORD,
        [a.order_id for a in allocations],
        [a.delivery_id for a in allocations],
        [a.quantity for a in allocations],
        [a.rule for a in allocations],
        hub,
        sku,
        policy_version,
        hold_until,
        draw_id,
        list(by_lot),
        list(by_lot.values()),
        list(by_order),
        list(by_order.values()),
    )


async def add_to_buyer_days(
    conn: asyncpg.Connection, hub: str, sku: str, day: date, units: dict[str, int]
) -> None:
    await conn.execute(BUYER_DAYS_ADD, hub, sku, day, list(units), list(units.values()))


async def record_skips(conn: asyncpg.Connection, skips: Sequence[Skip]) -> None:
    if skips:
        await conn.execute(
            SKIPS_RECORD,
            [s.order_id for s in skips],
            [s.rule for s in skips],
            [s.detail for s in skips],
        )


async def end_held(conn: asyncpg.Connection, order_id: uuid.UUID, state: str) -> list[Allocation]:
    """End the order's held allocations as `state`; answer them, one per lot."""
    rows = await conn.fetch(HELD_END, order_id, state)
    return [
        Allocation(order_id, row["delivery_id"], row["producer_id"], row["quantity"])
        for row in rows
    ]


async def return_to_lots(conn: asyncpg.Connection, allocations: Sequence[Allocation]) -> None:
    by_lot = total_by_lot(allocations)
    await conn.execute(LOTS_ALLOCATED_ADD, list(by_lot), [-units for units in by_lot.values()])
