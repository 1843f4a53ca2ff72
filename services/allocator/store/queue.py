"""The queue: waiting orders of each product in (placed_at, sequence) order, with the
totals per class that the queue's triggers keep, and early cancellations."""

import asyncpg

from services.allocator.rules.domain import Claim
from services.allocator.store.lots import STOCK

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
                   priority_class, accept_partial, estimated_date, programme_id,
                   programme_unit_price)
SELECT order_id, $1, $2, quantity, placed_at, sequence,
       CASE WHEN EXISTS (SELECT 1 FROM early_cancellations e WHERE e.order_id = new.order_id)
            THEN 'cancelled' ELSE 'waiting' END,
       buyer_key, priority_class, accept_partial, estimated_date, programme_id,
       programme_unit_price
FROM unnest($3::uuid[], $4::int[], $5::timestamptz[], $6::bigint[], $7::text[], $8::text[],
            $9::bool[], $10::date[], $11::uuid[], $12::int[])
     AS new (order_id, quantity, placed_at, sequence, buyer_key, priority_class, accept_partial,
             estimated_date, programme_id, programme_unit_price)
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
# product's outlook, its active policy (columns NULL when none was set), the last waiting
# order of each of those classes (NULL for an empty class), which a new order placed after it
# joins behind, and the lots with stock (none: the orders' joining gives nothing to fill; some:
# with the orders that join, what the fill after them starts from, so it need not read it), and
# the units the buyers $5 took today (for a daily cap; "today" is the hub's, as the fill's).
NEW_ORDERS_OUTLOOK = f"""
SELECT outlook.*, policy.*, tails.placed_at AS tail_placed_at, tails.sequence AS tail_sequence,
       stock.*,
       (SELECT coalesce(jsonb_object_agg(buyer_key, units), '{{}}') FROM buyer_days
        WHERE hub = $1 AND sku = $2 AND day = outlook.today AND buyer_key = ANY($5::text[]))
       AS taken_today
FROM ({PRODUCT_OUTLOOK}) AS outlook
CROSS JOIN ({STOCK}) AS stock
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
SELECT order_id, quantity, allocated, forfeited, buyer_key, priority_class, accept_partial,
       programme_id, programme_unit_price
FROM queue
WHERE hub = $1 AND sku = $2 AND priority_class = $3 AND state = 'waiting'
ORDER BY placed_at, sequence
LIMIT $4
"""
SKIPS_RECORD = """
UPDATE queue SET skip_rule = skip.rule, skip_detail = skip.detail, skipped_at = now()
FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) AS skip (order_id, rule, detail)
WHERE queue.order_id = skip.order_id
"""
ORDER_BY_ID = "SELECT * FROM queue WHERE order_id = $1"
ORDER_STATE = "SELECT state FROM queue WHERE order_id = $1"
EARLY_CANCELLATIONS_INSERT = """
INSERT INTO early_cancellations (order_id, cancelled_at)
SELECT * FROM unnest($1::uuid[], $2::timestamptz[])
ON CONFLICT (order_id) DO NOTHING
"""
# Cancelled orders leave the queue; the units they held (given back) no longer count.
ORDERS_CANCEL = """
UPDATE queue SET state = 'cancelled', allocated = queue.allocated - gone.quantity
FROM unnest($1::uuid[], $2::int[]) AS gone (order_id, quantity)
WHERE queue.order_id = gone.order_id
"""
QUEUE_FORFEIT = """
UPDATE queue SET allocated = queue.allocated - lost.quantity,
                 forfeited = queue.forfeited + lost.quantity
FROM unnest($1::uuid[], $2::int[]) AS lost (order_id, quantity)
WHERE queue.order_id = lost.order_id
"""


def claim_from(row: asyncpg.Record) -> Claim:
    return Claim(
        order_id=row["order_id"],
        requested=row["quantity"],
        allocated=row["allocated"],
        forfeited=row["forfeited"],
        buyer=row["buyer_key"],
        priority_class=row["priority_class"],
        accept_partial=row["accept_partial"],
        programme=(
            None
            if row["programme_id"] is None
            else (row["programme_id"], row["programme_unit_price"])
        ),
    )
