"""Allocations (units of a lot given to an order, held until handed over), the buyers' days
against the daily cap, and the lotteries' draws."""

from shared.pruning import deleting

# A cap counts today's units only; past days are read for a late day summary at most.
FORGET_BUYER_DAYS = deleting("buyer_days", "day < (now() - $1::interval)::date")

# Every fill of a batch: the allocations, the units they take from each lot
# (lots.LOTS_ALLOCATED_ADD) and give to each order. Each table is changed by one of them only,
# so they go as one statement (store/writes.py); the lots' and the queue's checks still hold
# every unit to account.
ALLOCATIONS_ADD = """
INSERT INTO allocations (order_id, delivery_id, quantity, rule, hub, sku, policy_version,
                         hold_until, draw_id)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[],
                     $7::int[], $8::timestamptz[], $9::bigint[])
"""
QUEUE_GIVEN = """
UPDATE queue SET
    allocated = queue.allocated + given.quantity,
    state = CASE WHEN queue.allocated + given.quantity + queue.forfeited = queue.quantity
                 THEN 'filled' ELSE 'waiting' END,
    skip_rule = NULL, skip_detail = NULL, skipped_at = NULL
FROM unnest($1::uuid[], $2::int[]) AS given (order_id, quantity)
WHERE queue.order_id = given.order_id
"""
TAKEN_TODAY = """
SELECT buyer_key, units FROM buyer_days
WHERE hub = $1 AND sku = $2 AND day = $3 AND buyer_key = ANY($4::text[])
"""
BUYER_DAYS_ADD = """
INSERT INTO buyer_days AS days (hub, sku, day, buyer_key, units)
SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::int[])
ON CONFLICT (hub, sku, day, buyer_key) DO UPDATE SET units = days.units + excluded.units
"""
DRAW_INSERT = """
INSERT INTO draws (hub, sku, policy_version, seed, entrants, units)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id
"""
# Ends an order's held allocations (released by a cancel); answers what they were.
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
# The units held for these orders were handed over: they can no longer expire.
HELD_FULFIL = """
UPDATE allocations SET state = 'fulfilled', ended_at = now()
WHERE order_id = ANY($1::uuid[]) AND state = 'held'
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
DUE_PRODUCTS = """
SELECT DISTINCT hub, sku FROM allocations WHERE state = 'held' AND hold_until <= now()
"""
# One line per fill that gave the order units, with what became of them.
ORDER_ALLOCATIONS = """
SELECT allocations.rule, allocations.state, sum(allocations.quantity)::int AS quantity,
       allocations.allocated_at, allocations.hold_until, allocations.ended_at, draws.seed
FROM allocations LEFT JOIN draws ON draws.id = allocations.draw_id
WHERE allocations.order_id = $1
GROUP BY allocations.rule, allocations.state, allocations.allocated_at,
         allocations.hold_until, allocations.ended_at, draws.seed
ORDER BY allocations.allocated_at, allocations.rule
LIMIT 50
"""
CANCELLED_AT = "SELECT max(ended_at) FROM allocations WHERE order_id = $1 AND state = 'released'"
DRAWS = """
SELECT id, policy_version, seed, entrants, units, drawn_at
FROM draws WHERE hub = $1 AND sku = $2
ORDER BY drawn_at DESC, id DESC
LIMIT 50
"""
