"""Intake's SQL."""

import uuid

import asyncpg

HUB_INSERT = """
INSERT INTO hubs (code, name, timezone) VALUES ($1, $2, $3)
ON CONFLICT (code) DO NOTHING
RETURNING *
"""
HUB_BY_CODE = "SELECT * FROM hubs WHERE code = $1"

PRODUCT_INSERT = """
INSERT INTO products (id, hub, sku, name, unit_price) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (hub, sku) DO NOTHING
RETURNING *
"""
PRODUCT_EXISTS = "SELECT EXISTS (SELECT 1 FROM products WHERE hub = $1 AND sku = $2)"

PRODUCER_INSERT = """
INSERT INTO producers (id, hub, name, phone, regency, email, language, channel)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (hub, phone) DO NOTHING
RETURNING *
"""
PRODUCER_BY_ID = "SELECT * FROM producers WHERE id = $1"

DELIVERY_INSERT = """
INSERT INTO deliveries (id, hub, producer_id, sku, quantity, rejected)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING *
"""
DELIVERY_BY_ID = "SELECT * FROM deliveries WHERE id = $1"

# Deltas, not totals: allocation and release events may arrive in any order.
DELIVERIES_SOLD_ADD = """
UPDATE deliveries AS d SET sold = d.sold + change.quantity
FROM unnest($1::uuid[], $2::int[]) AS change (id, quantity)
WHERE d.id = change.id
"""


async def hub_exists(conn: asyncpg.Connection, code: str) -> bool:
    return await conn.fetchrow(HUB_BY_CODE, code) is not None


async def product_exists(conn: asyncpg.Connection, hub: str, sku: str) -> bool:
    return await conn.fetchval(PRODUCT_EXISTS, hub, sku)


async def add_sold(conn: asyncpg.Connection, sold_by_delivery: dict[uuid.UUID, int]) -> None:
    await conn.execute(DELIVERIES_SOLD_ADD, list(sold_by_delivery), list(sold_by_delivery.values()))
