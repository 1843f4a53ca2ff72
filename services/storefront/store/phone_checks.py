"""Phone checks: a code sent to a phone, and what its right answer will do (`intent`)."""

import uuid
from typing import Any

import asyncpg

from services.storefront.store import Database

# Old checks go when anyone asks for a code: no timer for a table this small.
SWEEP_CHECKS = "DELETE FROM phone_checks WHERE created_at < now() - interval '1 day'"
CHECK_INSERT = """
INSERT INTO phone_checks (id, purpose, phone, phone_key, browser_hash, code_hash, expires_at,
                          intent)
VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7), $8)
"""
CHECK_FOR_UPDATE = """
SELECT *, now() AS now FROM phone_checks WHERE id = $1 AND browser_hash = $2 FOR UPDATE
"""
CHECK_READ = "SELECT *, now() AS now FROM phone_checks WHERE id = $1 AND browser_hash = $2"
# A new code for the same check: a fresh deadline and fresh tries.
CHECK_RESENT = """
UPDATE phone_checks
SET code_hash = $2, sent_at = now(), expires_at = now() + make_interval(secs => $3),
    wrong_tries = 0
WHERE id = $1
"""
WRONG_TRY = """
UPDATE phone_checks SET wrong_tries = wrong_tries + 1 WHERE id = $1 RETURNING wrong_tries
"""
REFUSED = "UPDATE phone_checks SET refusals = refusals + 1 WHERE id = $1"
# What the buyer typed is not kept past the order it became; a cancel's intent names no one.
VERIFIED = """
UPDATE phone_checks
SET verified_at = now(), intent = CASE WHEN purpose = 'order' THEN '{}' ELSE intent END
WHERE id = $1
"""


async def sweep(conn: asyncpg.Connection) -> None:
    await conn.execute(SWEEP_CHECKS)


async def add(
    conn: asyncpg.Connection,
    check_id: uuid.UUID,
    *,
    purpose: str,
    phone: str,
    phone_key: bytes,
    browser: bytes,
    code_hash: bytes,
    lifetime_seconds: float,
    intent: dict[str, Any],
) -> None:
    await conn.execute(
        CHECK_INSERT,
        check_id,
        purpose,
        phone,
        phone_key,
        browser,
        code_hash,
        lifetime_seconds,
        intent,
    )


async def one(db: Database, check_id: uuid.UUID, browser: bytes) -> asyncpg.Record | None:
    """The check, with the database's `now`, if this browser started it."""
    return await db.fetchrow(CHECK_READ, check_id, browser)


async def locked(
    conn: asyncpg.Connection, check_id: uuid.UUID, browser: bytes
) -> asyncpg.Record | None:
    """As `one`, its row locked until the caller's transaction ends."""
    return await conn.fetchrow(CHECK_FOR_UPDATE, check_id, browser)


async def resent(
    conn: asyncpg.Connection, check_id: uuid.UUID, code_hash: bytes, lifetime_seconds: float
) -> None:
    await conn.execute(CHECK_RESENT, check_id, code_hash, lifetime_seconds)


async def wrong_try(conn: asyncpg.Connection, check_id: uuid.UUID) -> int:
    """Counts a wrong code; answers the wrong tries so far."""
    return await conn.fetchval(WRONG_TRY, check_id)


async def verified(conn: asyncpg.Connection, check_id: uuid.UUID) -> None:
    await conn.execute(VERIFIED, check_id)


async def refused(conn: asyncpg.Connection, check_id: uuid.UUID) -> None:
    """Counts an application the orders service refused under the check."""
    await conn.execute(REFUSED, check_id)
