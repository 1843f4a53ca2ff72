"""Standing orders' statements: the series, their occurrences, the hubs' time zones."""

import uuid

import asyncpg

SERIES_INSERT = """
INSERT INTO order_series
    (id, partner_id, hub, sku, template, every, starts_on, at, ends_on, occurrences, next_number)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
RETURNING *
"""
# $2 is the partner asking: it sees only its own series. NULL is the operator, who sees all.
SERIES_BY_ID = "SELECT * FROM order_series WHERE id = $1 AND ($2::uuid IS NULL OR partner_id = $2)"
SERIES_BY_ID_FOR_UPDATE = SERIES_BY_ID + " FOR UPDATE"
SERIES_LIST = """
SELECT * FROM order_series
WHERE ($1::uuid IS NULL OR partner_id = $1) AND ($2::text IS NULL OR hub = $2)
ORDER BY created_at DESC, id
LIMIT $3
"""
SERIES_CHANGE = """
UPDATE order_series SET status = $2, next_number = $3, changed_at = now() WHERE id = $1
RETURNING *
"""
OCCURRENCES = """
SELECT id, occurrence, status, quantity, allocated, placed_at FROM orders
WHERE standing_order_id = $1 ORDER BY occurrence
"""
# The worker: series that may have an occurrence due. One replica at a time takes each (SKIP
# LOCKED: another replica goes on with the next series rather than waiting).
ACTIVE_SERIES = "SELECT id FROM order_series WHERE status = 'active' ORDER BY id"
SERIES_TO_RUN = """
SELECT * FROM order_series WHERE id = $1 AND status = 'active' FOR UPDATE SKIP LOCKED
"""
MARK_OCCURRENCES = """
UPDATE orders SET standing_order_id = $1, occurrence = u.occurrence
FROM unnest($2::uuid[], $3::int[]) AS u(id, occurrence)
WHERE orders.id = u.id
"""
ZONE_OF = "SELECT timezone FROM hub_zones WHERE hub = $1"
ZONE_UPSERT = """
INSERT INTO hub_zones (hub, timezone) VALUES ($1, $2)
ON CONFLICT (hub) DO UPDATE SET timezone = excluded.timezone
"""


async def zone_name(conn: asyncpg.Connection, hub: str) -> str | None:
    return await conn.fetchval(ZONE_OF, hub)


async def mark_occurrences(
    conn: asyncpg.Connection, series_id: uuid.UUID, orders: list[tuple[uuid.UUID, int]]
) -> None:
    await conn.execute(MARK_OCCURRENCES, series_id, [o for o, _ in orders], [n for _, n in orders])
