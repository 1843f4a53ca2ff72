"""Sign-ups to be told when a product's pre-order window opens again (migration 0003)."""

import uuid

import asyncpg

SIGNUP_INSERT = """
INSERT INTO window_signups (id, hub, sku, phone, phone_key, language)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (hub, sku, phone_key) WHERE told_at IS NULL DO NOTHING
"""
WAITING = "SELECT DISTINCT hub, sku FROM window_signups WHERE told_at IS NULL"
# One sign-up not told yet, held until its transaction ends: another watcher passes it by.
TAKE = """
SELECT id, phone, language FROM window_signups
WHERE hub = $1 AND sku = $2 AND told_at IS NULL
ORDER BY id LIMIT 1
FOR UPDATE SKIP LOCKED
"""
TOLD = "UPDATE window_signups SET told_at = now() WHERE id = $1"


async def add(
    conn: asyncpg.Connection, hub: str, sku: str, phone: str, phone_key: bytes, language: str
) -> None:
    await conn.execute(SIGNUP_INSERT, uuid.uuid4(), hub, sku, phone, phone_key, language)


async def waiting(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    return [(row["hub"], row["sku"]) for row in await conn.fetch(WAITING)]


async def take(conn: asyncpg.Connection, hub: str, sku: str) -> asyncpg.Record | None:
    """In a transaction: the next sign-up to tell, held until it ends."""
    return await conn.fetchrow(TAKE, hub, sku)


async def told(conn: asyncpg.Connection, signup_id: uuid.UUID) -> None:
    await conn.execute(TOLD, signup_id)
