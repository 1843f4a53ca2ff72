"""What producers sold and earned per hub-local day, counted from `delivery_sales` (see
deliveries.DELIVERIES_SOLD_ADD)."""

import uuid
from datetime import date

import asyncpg

# A producer, and the day it is now at their hub: reports count in hub-local days.
PRODUCER_TODAY = """
SELECT (now() AT TIME ZONE h.timezone)::date
FROM producers p JOIN hubs h ON h.code = p.hub
WHERE p.id = $1
"""
# Units sold per day and product, and what they earn per unit: ordinary sales at the
# product's price, each programme's (programme_id set) at the programme's, on rows of their
# own. A day whose sales of a kind were all returned the same day is left out.
_SALES_BY_DAY = """
SELECT s.producer_id, s.day, s.sku, s.programme_id, sum(s.units)::int AS units_sold,
       coalesce(s.programme_price, p.unit_price) AS unit_price
FROM delivery_sales s JOIN products p ON p.hub = s.hub AND p.sku = s.sku
WHERE {which} AND s.day BETWEEN $2 AND $3
GROUP BY s.producer_id, s.day, s.sku, s.programme_id, s.programme_price, p.unit_price
HAVING sum(s.units) <> 0
"""
PRODUCER_DAYS = (
    _SALES_BY_DAY.format(which="s.producer_id = $1")
    + "ORDER BY s.day, s.sku, s.programme_id NULLS FIRST, unit_price"
)
HUB_PAYOUTS = f"""
SELECT sales.*, pr.name, pr.phone, pr.regency
FROM ({_SALES_BY_DAY.format(which="s.hub = $1")}) AS sales
JOIN producers pr ON pr.id = sales.producer_id
ORDER BY pr.name, pr.id, sales.day, sales.sku, sales.programme_id NULLS FIRST, sales.unit_price
"""


async def producer_today(conn: asyncpg.Connection, producer_id: uuid.UUID) -> date | None:
    """Today at the producer's hub, or None when there is no such producer."""
    return await conn.fetchval(PRODUCER_TODAY, producer_id)


async def producer_days(
    conn: asyncpg.Connection, producer_id: uuid.UUID, start: date, end: date
) -> list[asyncpg.Record]:
    return await conn.fetch(PRODUCER_DAYS, producer_id, start, end)


async def hub_payouts(
    conn: asyncpg.Connection, hub: str, start: date, end: date
) -> list[asyncpg.Record]:
    return await conn.fetch(HUB_PAYOUTS, hub, start, end)
