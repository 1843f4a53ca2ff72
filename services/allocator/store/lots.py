"""Lots: one delivery's accepted units each, and how many of them are given."""

import asyncpg

from services.allocator.rules.domain import Lot

LOTS_INSERT = """
INSERT INTO lots (delivery_id, hub, sku, producer_id, accepted, received_at)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::int[],
                     $6::timestamptz[])
ON CONFLICT (delivery_id) DO NOTHING
"""
LOTS_ALLOCATED_ADD = """
UPDATE lots SET allocated = lots.allocated + change.quantity
FROM unnest($1::uuid[], $2::int[]) AS change (delivery_id, quantity)
WHERE lots.delivery_id = change.delivery_id
"""
STOCK_VIEW = """
SELECT coalesce(sum(accepted), 0)::int AS received, coalesce(sum(allocated), 0)::int AS allocated
FROM lots WHERE hub = $1 AND sku = $2
"""
# The lots of product ($1, $2) with stock, oldest first, as arrays (`lots_from` reads them).
STOCK = """
SELECT array_agg(delivery_id ORDER BY received_at, delivery_id) AS delivery_ids,
       array_agg(producer_id ORDER BY received_at, delivery_id) AS producer_ids,
       array_agg(accepted - allocated ORDER BY received_at, delivery_id) AS available
FROM lots WHERE hub = $1 AND sku = $2 AND allocated < accepted
"""
# What a fill starts from, in one round trip: the lots with stock (oldest first), the waiting
# totals per class, the active policy (its columns NULL when none was set) and the hub's zone.
FILL_START = f"""
SELECT stock.delivery_ids, stock.producer_ids, stock.available,
       waiting.classes, waiting.orders, waiting.units,
       policy.version, policy.mode, policy.per_buyer_daily_cap, policy.classes AS class_rules,
       policy.hold_seconds,
       (SELECT timezone FROM hubs WHERE hub = $1) AS timezone
FROM ({STOCK}) AS stock, (
    SELECT array_agg(priority_class) AS classes, array_agg(orders) AS orders,
           array_agg(units) AS units
    FROM queue_totals WHERE hub = $1 AND sku = $2 AND orders > 0
) AS waiting
LEFT JOIN LATERAL (
    SELECT version, mode, per_buyer_daily_cap, classes, hold_seconds FROM policies
    WHERE hub = $1 AND sku = $2 ORDER BY version DESC LIMIT 1
) AS policy ON true
"""
LOT = """
SELECT delivery_id, hub, sku, producer_id, accepted, allocated, received_at
FROM lots WHERE delivery_id = $1
"""
# Oldest first: the order in which the units were given. Each order's class is looked up by
# its id (LATERAL: a plain join may read the whole queue to match a lot's few thousand).
LOT_ALLOCATIONS = """
SELECT allocations.order_id, allocations.quantity AS units, queued.priority_class,
       allocations.rule, allocations.allocated_at, allocations.state AS status
FROM allocations,
     LATERAL (SELECT priority_class FROM queue
              WHERE queue.order_id = allocations.order_id LIMIT 1) AS queued
WHERE allocations.delivery_id = $1
ORDER BY allocations.allocated_at, allocations.id
"""


def lots_from(start: asyncpg.Record) -> list[Lot]:
    """The lots with stock, oldest first, from a row with STOCK's columns."""
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
