"""The orders service's SQL."""

import uuid

import asyncpg

from services.orders.models import Order
from shared.order_codes import shown

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
# The buyer types a partner may declare (migration 0007).
BUYER_TYPES_OF_PARTNER = "SELECT buyer_types FROM partners WHERE id = $1"
# $2 is the partner asking: it sees only its own orders. NULL is the operator, who sees all.
ORDER_BY_ID = "SELECT * FROM orders WHERE id = $1 AND ($2::uuid IS NULL OR partner_id = $2)"
ORDER_BY_ID_FOR_UPDATE = ORDER_BY_ID + " FOR UPDATE"
# By its code as kept (migration 0008); $2 as in ORDER_BY_ID.
ORDER_BY_CODE = "SELECT * FROM orders WHERE code = $1 AND ($2::uuid IS NULL OR partner_id = $2)"
ORDER_CANCEL = "UPDATE orders SET cancelled_at = now() WHERE id = $1 RETURNING *"
ORDER_FULFIL = """
UPDATE orders SET fulfilled = allocated, fulfilled_at = now() WHERE id = $1 RETURNING *
"""

# The allocator's events of one kind for many orders at once: each order's counts move by its
# event's delta, and its history gets the entry, in the events' order. Each order is named at
# most once ($1): a second event for it goes in the next statement, so its status steps through
# every change, as the callbacks trigger sees them. An order this service never had (a test
# driving the allocator directly) has no row to change, and no history to add to.
_ORDERS_CHANGE = """
WITH change AS (
    SELECT *
    FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::timestamptz[], $5::text[])
         WITH ORDINALITY AS change (order_id, units, hold_until, at, detail, i)
), changed AS (
    UPDATE orders SET {set}
    FROM change
    WHERE orders.id = change.order_id
    RETURNING orders.id
)
INSERT INTO order_history (order_id, at, kind, units, detail)
SELECT change.order_id, change.at, '{kind}', change.units, change.detail::jsonb
FROM change JOIN changed ON changed.id = change.order_id
ORDER BY change.i
"""
# The counts move by deltas, which commute, so the events' order does not matter; the hold
# deadline is the latest one given (greatest() skips nulls).
ORDERS_ALLOCATED = _ORDERS_CHANGE.format(
    kind="allocated",
    set="""allocated = orders.allocated + change.units,
        hold_until = greatest(orders.hold_until, change.hold_until)""",
)
# What was given back was held, never handed over; the clamp keeps `fulfilled` within
# `allocated` should the allocator take back handed-over units after all (SET reads old values).
ORDERS_RELEASED = _ORDERS_CHANGE.format(
    kind="released",
    set="""allocated = orders.allocated - change.units,
        fulfilled = greatest(least(orders.fulfilled, orders.allocated - change.units), 0)""",
)
ORDERS_EXPIRED = _ORDERS_CHANGE.format(
    kind="expired",
    set="""allocated = orders.allocated - change.units,
        expired = orders.expired + change.units,
        fulfilled = greatest(least(orders.fulfilled, orders.allocated - change.units), 0)""",
)


def order_from(row: asyncpg.Record) -> Order:
    """An order as the API answers it: its code shown, as people read it."""
    return Order.model_validate({**row, "code": shown(row["code"])})


async def order_by_id(
    conn: asyncpg.Connection, order_id: uuid.UUID, partner_id: uuid.UUID | None
) -> Order | None:
    """The order, if `partner_id` placed it (None: the operator, who may see every order)."""
    row = await conn.fetchrow(ORDER_BY_ID, order_id, partner_id)
    return None if row is None else order_from(row)
