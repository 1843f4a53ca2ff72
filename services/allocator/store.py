"""The allocator's SQL."""

import uuid
from datetime import datetime

import asyncpg

from services.allocator.domain import Allocation, Claim, Lot, total_by_lot, total_by_order

# Every change to one (hub, product) takes this lock first, so replicas take turns per product
# and never per hub: different products and hubs allocate in parallel.
LOCK_PRODUCT = "SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))"

LOT_INSERT = """
INSERT INTO lots (delivery_id, hub, sku, producer_id, accepted, received_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (delivery_id) DO NOTHING
"""
LOTS_WITH_STOCK = """
SELECT delivery_id, producer_id, accepted - allocated AS available
FROM lots
WHERE hub = $1 AND sku = $2 AND allocated < accepted
ORDER BY received_at, delivery_id
"""
# At most one order per available unit can be served, so the head of the queue is enough.
QUEUE_HEAD = """
SELECT order_id, quantity AS requested, allocated
FROM queue
WHERE hub = $1 AND sku = $2 AND state = 'waiting'
ORDER BY placed_at, sequence
LIMIT $3
"""
ALLOCATIONS_INSERT = """
INSERT INTO allocations (order_id, delivery_id, quantity)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[])
"""
LOTS_ALLOCATED_ADD = """
UPDATE lots SET allocated = lots.allocated + change.quantity
FROM unnest($1::uuid[], $2::int[]) AS change (delivery_id, quantity)
WHERE lots.delivery_id = change.delivery_id
"""
QUEUE_GIVE = """
UPDATE queue SET
    allocated = queue.allocated + given.quantity,
    state = CASE WHEN queue.allocated + given.quantity = queue.quantity
                 THEN 'filled' ELSE 'waiting' END
FROM unnest($1::uuid[], $2::int[]) AS given (order_id, quantity)
WHERE queue.order_id = given.order_id
"""

ORDER_INSERT = """
INSERT INTO queue (order_id, hub, sku, quantity, placed_at, sequence, state)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (order_id) DO NOTHING
"""
ORDER_BY_ID = "SELECT * FROM queue WHERE order_id = $1"
# Where a newly queued order stands: the waiting orders ahead of it and the units they still want.
PLACE_IN_QUEUE = """
SELECT count(*) + 1 AS position, coalesce(sum(quantity - allocated), 0) AS units_ahead
FROM queue
WHERE hub = $1 AND sku = $2 AND state = 'waiting' AND (placed_at, sequence) < ($3, $4)
"""
EARLY_CANCELLATION_INSERT = """
INSERT INTO early_cancellations (order_id, cancelled_at) VALUES ($1, $2)
ON CONFLICT (order_id) DO NOTHING
"""
EARLY_CANCELLATION_EXISTS = "SELECT EXISTS (SELECT 1 FROM early_cancellations WHERE order_id = $1)"

ORDER_RELEASE = """
WITH released AS (
    UPDATE allocations SET released_at = now()
    WHERE order_id = $1 AND released_at IS NULL
    RETURNING delivery_id, quantity
)
SELECT released.delivery_id, lots.producer_id, sum(released.quantity)::int AS quantity
FROM released JOIN lots USING (delivery_id)
GROUP BY released.delivery_id, lots.producer_id
"""
ORDER_CANCEL = "UPDATE queue SET state = 'cancelled', allocated = 0 WHERE order_id = $1"

QUEUE_VIEW = """
SELECT order_id, quantity, allocated, placed_at
FROM queue
WHERE hub = $1 AND sku = $2 AND state = 'waiting'
ORDER BY placed_at, sequence
LIMIT $3 OFFSET $4
"""
QUEUE_LENGTH = "SELECT count(*) FROM queue WHERE hub = $1 AND sku = $2 AND state = 'waiting'"
STOCK_VIEW = """
SELECT coalesce(sum(accepted), 0)::int AS received, coalesce(sum(allocated), 0)::int AS allocated
FROM lots WHERE hub = $1 AND sku = $2
"""


async def lock_product(conn: asyncpg.Connection, hub: str, sku: str) -> None:
    await conn.execute(LOCK_PRODUCT, hub, sku)


async def lots_with_stock(conn: asyncpg.Connection, hub: str, sku: str) -> list[Lot]:
    rows = await conn.fetch(LOTS_WITH_STOCK, hub, sku)
    return [Lot(row["delivery_id"], row["producer_id"], row["available"]) for row in rows]


async def queue_head(conn: asyncpg.Connection, hub: str, sku: str, limit: int) -> list[Claim]:
    rows = await conn.fetch(QUEUE_HEAD, hub, sku, limit)
    return [Claim(row["order_id"], row["requested"], row["allocated"]) for row in rows]


async def record_allocations(conn: asyncpg.Connection, allocations: list[Allocation]) -> None:
    await conn.execute(
        ALLOCATIONS_INSERT,
        [a.order_id for a in allocations],
        [a.delivery_id for a in allocations],
        [a.quantity for a in allocations],
    )
    by_lot = total_by_lot(allocations)
    await conn.execute(LOTS_ALLOCATED_ADD, list(by_lot), list(by_lot.values()))
    by_order = total_by_order(allocations)
    await conn.execute(QUEUE_GIVE, list(by_order), list(by_order.values()))


async def place_in_queue(
    conn: asyncpg.Connection, hub: str, sku: str, placed_at: datetime, sequence: int
) -> tuple[int, int]:
    row = await conn.fetchrow(PLACE_IN_QUEUE, hub, sku, placed_at, sequence)
    return row["position"], row["units_ahead"]


async def release_order(conn: asyncpg.Connection, order_id: uuid.UUID) -> list[Allocation]:
    """Cancel an order and give its units back to their lots; answer what was given back."""
    rows = await conn.fetch(ORDER_RELEASE, order_id)
    released = [
        Allocation(order_id, row["delivery_id"], row["producer_id"], row["quantity"])
        for row in rows
    ]
    by_lot = total_by_lot(released)
    await conn.execute(LOTS_ALLOCATED_ADD, list(by_lot), [-units for units in by_lot.values()])
    await conn.execute(ORDER_CANCEL, order_id)
    return released
