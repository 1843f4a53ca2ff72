"""The orders service's SQL."""

import uuid

import asyncpg

from services.orders.models import Order

CATALOG_UPSERT = """
INSERT INTO catalog (hub, sku, product_id, name, unit_price) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (hub, sku) DO UPDATE
SET product_id = excluded.product_id, name = excluded.name, unit_price = excluded.unit_price
"""
CATALOG_OF_HUB = "SELECT * FROM catalog WHERE hub = $1 ORDER BY sku"
HUB_EXISTS = "SELECT EXISTS (SELECT 1 FROM catalog WHERE hub = $1)"

# Inserts nothing (answers no row) when the catalog does not have the product.
ORDER_INSERT = """
INSERT INTO orders (id, hub, sku, quantity, buyer, accept_partial, priority_class, partner_id)
SELECT $1, $2, $3, $4, $5, $6, $7, $8
WHERE EXISTS (SELECT 1 FROM catalog WHERE hub = $2 AND sku = $3)
RETURNING *
"""
# $2 is the partner asking: it sees only its own orders. NULL is the operator, who sees all.
ORDER_BY_ID = "SELECT * FROM orders WHERE id = $1 AND ($2::uuid IS NULL OR partner_id = $2)"
ORDER_BY_ID_FOR_UPDATE = ORDER_BY_ID + " FOR UPDATE"
ORDER_CANCEL = "UPDATE orders SET cancelled_at = now() WHERE id = $1 RETURNING *"
ORDER_FULFIL = """
UPDATE orders SET fulfilled = allocated, fulfilled_at = now() WHERE id = $1 RETURNING *
"""

# The counts move by deltas, which commute, so the events' order does not matter; the hold
# deadline is the latest one given (greatest() skips nulls).
ORDER_ALLOCATED = """
UPDATE orders SET allocated = allocated + $2, hold_until = greatest(hold_until, $3) WHERE id = $1
"""
# What was given back was held, never handed over; the clamp keeps `fulfilled` within
# `allocated` should the allocator take back handed-over units after all (SET reads old values).
ORDER_RELEASED = """
UPDATE orders
SET allocated = allocated - $2, fulfilled = greatest(least(fulfilled, allocated - $2), 0)
WHERE id = $1
"""
ORDER_EXPIRED = """
UPDATE orders
SET allocated = allocated - $2,
    expired = expired + $2,
    fulfilled = greatest(least(fulfilled, allocated - $2), 0)
WHERE id = $1
"""


def order_from(row: asyncpg.Record) -> Order:
    return Order.model_validate(dict(row))


async def order_by_id(
    conn: asyncpg.Connection, order_id: uuid.UUID, partner_id: uuid.UUID | None
) -> Order | None:
    """The order, if `partner_id` placed it (None: the operator, who may see every order)."""
    row = await conn.fetchrow(ORDER_BY_ID, order_id, partner_id)
    return None if row is None else order_from(row)
