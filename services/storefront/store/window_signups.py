"""Sign-ups to be told when a product's pre-order window opens again (migration 0003)."""

import uuid

import asyncpg

SIGNUP_INSERT = """
INSERT INTO window_signups (id, hub, sku, phone, phone_key, language)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (hub, sku, phone_key) WHERE told_at IS NULL DO NOTHING
"""
WAITING = "SELECT DISTINCT hub, sku FROM window_signups WHERE told_at IS NULL"
# Taken by the one watcher that marks them, whatever else runs: each told once.
CLAIM = """
UPDATE window_signups SET told_at = now()
WHERE hub = $1 AND sku = $2 AND told_at IS NULL
RETURNING id, phone, language
"""
# The notifier could not take it: it waits for the next look.
UNCLAIM = "UPDATE window_signups SET told_at = NULL WHERE id = $1"


async def add(
    conn: asyncpg.Connection, hub: str, sku: str, phone: str, phone_key: bytes, language: str
) -> None:
    await conn.execute(SIGNUP_INSERT, uuid.uuid4(), hub, sku, phone, phone_key, language)


async def waiting(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    return [(row["hub"], row["sku"]) for row in await conn.fetch(WAITING)]


async def claim(conn: asyncpg.Connection, hub: str, sku: str) -> list[asyncpg.Record]:
    return await conn.fetch(CLAIM, hub, sku)


async def unclaim(conn: asyncpg.Connection, signup_id: uuid.UUID) -> None:
    await conn.execute(UNCLAIM, signup_id)
