"""The orders placed here: each with its tracking code and the phone check that placed it."""

import uuid

import asyncpg

from services.storefront.store import Database

TRACKING_OF_CHECK = "SELECT code FROM tracking_codes WHERE phone_check_id = $1"
# The code is the one the orders API gave the order (migration 0002).
TRACKING_INSERT = """
INSERT INTO tracking_codes (code, order_id, phone_check_id, phone_key) VALUES ($1, $2, $3, $4)
"""
# A code this site drew before codes were the orders service's.
ORDER_OF_CODE_DRAWN_HERE = "SELECT order_id FROM tracking_codes WHERE code = $1 AND drawn_here"
# Whether the order was placed here: only then does the site know the phone to cancel it with.
PLACED_HERE = "SELECT EXISTS (SELECT 1 FROM tracking_codes WHERE order_id = $1)"
ORDERS_OF_PHONE = """
SELECT order_id FROM tracking_codes WHERE phone_key = $1
ORDER BY placed_at DESC LIMIT $2
"""


async def code_of_check(conn: asyncpg.Connection, check_id: uuid.UUID) -> str | None:
    """The code of the order a check placed, if it placed one."""
    return await conn.fetchval(TRACKING_OF_CHECK, check_id)


async def add(
    conn: asyncpg.Connection,
    code: str,
    order_id: uuid.UUID,
    check_id: uuid.UUID,
    phone_key: bytes,
) -> None:
    await conn.execute(TRACKING_INSERT, code, order_id, check_id, phone_key)


async def order_of_code_drawn_here(db: Database, code: str) -> uuid.UUID | None:
    return await db.fetchval(ORDER_OF_CODE_DRAWN_HERE, code)


async def placed_here(db: Database, order_id: uuid.UUID) -> bool:
    return await db.fetchval(PLACED_HERE, order_id)


async def orders_of_phone(db: Database, phone_key: bytes, most: int) -> list[uuid.UUID]:
    """The orders placed here with a phone, newest first."""
    return [row["order_id"] for row in await db.fetch(ORDERS_OF_PHONE, phone_key, most)]
