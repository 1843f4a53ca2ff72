"""Intake's SQL."""

import uuid
from collections.abc import Iterable
from datetime import datetime

import asyncpg

HUB_INSERT = """
INSERT INTO hubs (code, name, timezone, address, opening_hours, takes_site_orders)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (code) DO NOTHING
RETURNING *
"""
HUB_BY_CODE = "SELECT * FROM hubs WHERE code = $1"
HUB_FOR_UPDATE = "SELECT * FROM hubs WHERE code = $1 FOR UPDATE"
HUB_UPDATE = """
UPDATE hubs SET address = $2, opening_hours = $3, takes_site_orders = $4, updated_at = now()
WHERE code = $1
RETURNING *
"""
# $1: NULL for every hub, true for those the public site offers, false for the others.
_HUBS_WHICH = "WHERE $1::bool IS NULL OR takes_site_orders = $1"
HUBS_FOUND = f"SELECT count(*) FROM hubs {_HUBS_WHICH}"
# Oldest first: the founding hub, then the provinces as they joined.
HUBS_PAGE = f"SELECT * FROM hubs {_HUBS_WHICH} ORDER BY created_at, code LIMIT $2 OFFSET $3"

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
# A producer, and the day it is now at their hub: reports and shortages count in hub-local days.
PRODUCER_AND_TODAY = """
SELECT p.*, (now() AT TIME ZONE h.timezone)::date AS today
FROM producers p JOIN hubs h ON h.code = p.hub
WHERE p.id = $1
"""
PRODUCER_FOR_UPDATE = "SELECT * FROM producers WHERE id = $1 FOR UPDATE"
PRODUCER_UPDATE = """
UPDATE producers
SET name = $2, phone = $3, regency = $4, email = $5, language = $6, channel = $7,
    updated_at = now()
WHERE id = $1
RETURNING *
"""
# Many at once (a file import): the rows inserted, each by its phone; a phone already taken
# (by a concurrent registration) is missing from the answer.
PRODUCERS_INSERT = """
INSERT INTO producers (id, hub, name, phone, regency, email, language, channel)
SELECT id, $1, name, phone, regency, email, language, channel
FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
    AS given (id, name, phone, regency, email, language, channel)
ON CONFLICT (hub, phone) DO NOTHING
RETURNING *
"""
PHONES_TAKEN = "SELECT phone FROM producers WHERE hub = $1 AND phone = ANY($2::text[])"

# A hub's producers ($1) whose name matches a LIKE pattern in any case ($2), or whose number
# matches one ($3). A statement for each case, each planned for itself: one for all cases
# would be planned for none (and the trigram index for names could not serve it).
_PRODUCERS_MATCHING = {
    (False, False): "hub = $1",
    (True, False): "hub = $1 AND name ILIKE $2",
    (True, True): "hub = $1 AND (name ILIKE $2 OR phone LIKE $3)",
}


def producers_found(by_name: bool, by_phone: bool) -> str:
    return f"SELECT count(*) FROM producers WHERE {_PRODUCERS_MATCHING[by_name, by_phone]}"


def producers_page(by_name: bool, by_phone: bool) -> str:
    """As `producers_found`, then the limit and offset."""
    limit = 2 + by_name + by_phone
    return (
        f"SELECT * FROM producers WHERE {_PRODUCERS_MATCHING[by_name, by_phone]}"
        f" ORDER BY name, id LIMIT ${limit} OFFSET ${limit + 1}"
    )


DELIVERIES_OF_PRODUCER = "SELECT count(*) FROM deliveries WHERE producer_id = $1"
DELIVERIES_OF_PRODUCER_PAGE = """
SELECT * FROM deliveries WHERE producer_id = $1
ORDER BY received_at DESC, id DESC
LIMIT $2 OFFSET $3
"""

DELIVERY_INSERT = """
INSERT INTO deliveries (id, hub, producer_id, sku, quantity, rejected)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING *
"""
DELIVERY_BY_ID = "SELECT * FROM deliveries WHERE id = $1"

# Deltas, not totals: allocation and release events may arrive in any order, and a batch of
# them is added up at once. The day is the hub's calendar day when each event happened ($3),
# whenever it is handled. A lot or a day named more than once is summed first: one statement
# changes a row only once.
DELIVERIES_SOLD_ADD = """
WITH change AS (
    SELECT * FROM unnest($1::uuid[], $2::int[], $3::timestamptz[]) AS change (id, quantity, at)
), lots AS (
    UPDATE deliveries AS d SET sold = d.sold + total.quantity
    FROM (SELECT id, sum(quantity) AS quantity FROM change GROUP BY id) AS total
    WHERE d.id = total.id
    RETURNING d.id, d.hub, d.producer_id, d.sku
)
INSERT INTO delivery_sales (delivery_id, day, hub, producer_id, sku, units)
SELECT lots.id, (change.at AT TIME ZONE h.timezone)::date AS day, lots.hub, lots.producer_id,
       lots.sku, sum(change.quantity)
FROM change JOIN lots ON lots.id = change.id JOIN hubs h ON h.code = lots.hub
GROUP BY lots.id, day, lots.hub, lots.producer_id, lots.sku
ON CONFLICT (delivery_id, day) DO UPDATE SET units = delivery_sales.units + excluded.units
"""

# Units sold per day and product, and what they earned at the product's price. A day whose
# sales were all returned the same day is left out.
_SALES_BY_DAY = """
SELECT s.producer_id, s.day, s.sku, sum(s.units)::int AS units_sold, p.unit_price
FROM delivery_sales s JOIN products p ON p.hub = s.hub AND p.sku = s.sku
WHERE {which} AND s.day BETWEEN $2 AND $3
GROUP BY s.producer_id, s.day, s.sku, p.unit_price
HAVING sum(s.units) <> 0
"""
PRODUCER_DAYS = _SALES_BY_DAY.format(which="s.producer_id = $1") + "ORDER BY s.day, s.sku"
HUB_PAYOUTS = f"""
SELECT sales.*, pr.name, pr.phone, pr.regency
FROM ({_SALES_BY_DAY.format(which="s.hub = $1")}) AS sales
JOIN producers pr ON pr.id = sales.producer_id
ORDER BY pr.name, pr.id, sales.day, sales.sku
"""

# Shortages as the console shows them: with the producer's name and regency (as they are now).
_SHORTAGE_VIEW = """
SELECT s.id, s.producer_id, pr.name AS producer_name, s.hub, pr.regency, s.material,
       s.amount::float8 AS amount, s.unit, s.since, s.reported_at, s.resolved_at
FROM shortages s JOIN producers pr ON pr.id = s.producer_id
"""
SHORTAGE_INSERT = """
INSERT INTO shortages (id, hub, producer_id, material, amount, unit, since)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
SHORTAGE_RESOLVE = """
UPDATE shortages SET resolved_at = coalesce(resolved_at, now()) WHERE id = $1 RETURNING id
"""
SHORTAGE_BY_ID = f"{_SHORTAGE_VIEW} WHERE s.id = $1"
# $2: NULL for all, true for the open ones, false for the resolved ones.
_SHORTAGES_OF_HUB = "WHERE s.hub = $1 AND ($2::bool IS NULL OR (s.resolved_at IS NULL) = $2)"
SHORTAGES_FOUND = f"SELECT count(*) FROM shortages s {_SHORTAGES_OF_HUB}"
SHORTAGES_PAGE = f"""
{_SHORTAGE_VIEW} {_SHORTAGES_OF_HUB}
ORDER BY s.since, s.reported_at, s.id
LIMIT $3 OFFSET $4
"""
SHORTAGES_SUMMARY = """
SELECT s.material, s.unit, pr.regency, sum(s.amount)::float8 AS amount,
       count(DISTINCT s.producer_id)::int AS producers, min(s.since) AS oldest_since
FROM shortages s JOIN producers pr ON pr.id = s.producer_id
WHERE s.hub = $1 AND s.resolved_at IS NULL
GROUP BY s.material, s.unit, pr.regency
ORDER BY s.material, pr.regency, s.unit
"""


async def hub_exists(conn: asyncpg.Connection, code: str) -> bool:
    return await conn.fetchrow(HUB_BY_CODE, code) is not None


async def product_exists(conn: asyncpg.Connection, hub: str, sku: str) -> bool:
    return await conn.fetchval(PRODUCT_EXISTS, hub, sku)


async def add_sold(
    conn: asyncpg.Connection, sold: Iterable[tuple[uuid.UUID, int, datetime]]
) -> None:
    """Count units sold (or, negative, returned) from lots: (delivery, units, when) each, on
    the hub's day of when."""
    columns = list(zip(*sold, strict=True)) or [(), (), ()]
    await conn.execute(DELIVERIES_SOLD_ADD, *map(list, columns))
