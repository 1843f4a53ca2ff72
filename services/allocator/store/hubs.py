"""Hubs (their time zones) and the locks that serialise a product's changes."""

from zoneinfo import ZoneInfo

import asyncpg

from services.allocator.rules.days import zone_named
from shared.event_handlers import INBOX_RECORD

# Every change to one (hub, product) takes this lock first, so replicas take turns per product
# and never per hub: different products and hubs allocate in parallel. A batch takes its
# products' locks in one statement, in one sorted order (the subquery's), so two replicas never
# wait on each other in a circle.
LOCK_PRODUCTS = """
SELECT count(pg_advisory_xact_lock(hashtextextended(product.hub || '/' || product.sku, 0)))
FROM (
    SELECT hub, sku FROM unnest($1::text[], $2::text[]) AS p (hub, sku)
    ORDER BY hub, sku
) AS product
"""

# A consumed batch's first statement: its events into the inbox (answering the ids not seen
# before) and its products' locks, one round trip. The inbox's insert reads nothing the locks
# guard; what does is read by the statements after this one, which see every change committed
# before the locks were taken.
INBOX_CLAIM_AND_LOCK = f"""
WITH claimed AS ({INBOX_RECORD})
SELECT (SELECT array_agg(event_id) FROM claimed) AS new_ids,
       (SELECT count(pg_advisory_xact_lock(hashtextextended(product.hub || '/' || product.sku, 0)))
        FROM (
            SELECT hub, sku FROM unnest($3::text[], $4::text[]) AS p (hub, sku)
            ORDER BY hub, sku
        ) AS product) AS locked
"""

HUBS_UPSERT = """
INSERT INTO hubs (hub, timezone)
SELECT * FROM unnest($1::text[], $2::text[])
ON CONFLICT (hub) DO UPDATE SET timezone = excluded.timezone
"""
HUB_TIMEZONE = "SELECT timezone FROM hubs WHERE hub = $1"


async def zone_of(conn: asyncpg.Connection, hub: str) -> ZoneInfo:
    return zone_named(await conn.fetchval(HUB_TIMEZONE, hub))
