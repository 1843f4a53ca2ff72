"""The codes sent in the last hour, per phone and per address, for the hourly limits."""

from datetime import datetime

import asyncpg

# Old sends go when anyone asks for a code: no timer for a table this small.
SWEEP_SENT = "DELETE FROM codes_sent WHERE sent_at < now() - interval '1 hour'"
# Sends for one phone queue behind each other, so two at once cannot both slip under a limit.
LOCK_PHONE = "SELECT pg_advisory_xact_lock(hashtextextended(encode($1::bytea, 'hex'), 7))"
# When the phone's and the address's next code may go: the time the `limit`-th latest send of
# the hour leaves it; NULL while under the limit.
FREE_AT = """
SELECT
    (SELECT sent_at + interval '1 hour' FROM codes_sent
     WHERE phone_key = $1 AND sent_at > now() - interval '1 hour'
     ORDER BY sent_at DESC OFFSET $3 - 1 LIMIT 1) AS phone_free_at,
    (SELECT sent_at + interval '1 hour' FROM codes_sent
     WHERE address = $2 AND sent_at > now() - interval '1 hour'
     ORDER BY sent_at DESC OFFSET $4 - 1 LIMIT 1) AS address_free_at,
    now() AS now
"""
SENT_INSERT = "INSERT INTO codes_sent (phone_key, address) VALUES ($1, $2)"


async def sweep(conn: asyncpg.Connection) -> None:
    await conn.execute(SWEEP_SENT)


async def lock_phone(conn: asyncpg.Connection, phone_key: bytes) -> None:
    """Until the caller's transaction ends."""
    await conn.execute(LOCK_PHONE, phone_key)


async def waits(
    conn: asyncpg.Connection, phone_key: bytes, address: str, per_phone: int, per_address: int
) -> list[datetime]:
    """When the phone and the address may have their next code, for those over their limit."""
    row = await conn.fetchrow(FREE_AT, phone_key, address, per_phone, per_address)
    return [at for at in (row["phone_free_at"], row["address_free_at"]) if at is not None]


async def add(conn: asyncpg.Connection, phone_key: bytes, address: str) -> None:
    await conn.execute(SENT_INSERT, phone_key, address)
