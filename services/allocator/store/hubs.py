"""Hubs (their time zones) and the locks that serialise a product's changes."""

from zoneinfo import ZoneInfo

import asyncpg

from services.allocator.rules.days import zone_named

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

HUBS_UPSERT = """
INSERT INTO hubs (hub, timezone)
SELECT * FROM unnest($1::text[], $2::text[])
ON CONFLICT (hub) DO UPDATE SET timezone = excluded.timezone
"""
HUB_TIMEZONE = "SELECT timezone FROM hubs WHERE hub = $1"


async def zone_of(conn: asyncpg.Connection, hub: str) -> ZoneInfo:
    return zone_named(await conn.fetchval(HUB_TIMEZONE, hub))
