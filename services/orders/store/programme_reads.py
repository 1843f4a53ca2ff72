"""Programmes as the API reads them (migration 0012): a programme with its products and its
budget's state, its applications, its draws, and the funder's report."""

import uuid

import asyncpg

_SHOWN = """
SELECT p.*, b.committed, b.spent, tz.timezone,
       (clock_timestamp() AT TIME ZONE tz.timezone)::date AS today,
       (SELECT count(*) FROM orders o WHERE o.programme_id = p.id) AS applications,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('sku', sku, 'unit_price', unit_price)
                                  ORDER BY sku), '[]')
        FROM programme_products pp WHERE pp.programme_id = p.id)::text AS products
FROM programmes p
CROSS JOIN LATERAL (
    SELECT coalesce((SELECT timezone FROM hub_zones z WHERE z.hub = p.hub), 'Asia/Jakarta')
        AS timezone
) tz
CROSS JOIN LATERAL programme_budget(p.id) b
"""
PROGRAMME_SHOWN = _SHOWN + " WHERE p.id = $1"
PROGRAMMES_SHOWN = (
    _SHOWN + " WHERE ($1::text IS NULL OR p.hub = $1) ORDER BY p.starts_on DESC, p.id LIMIT 200"
)

_DRAW_COLUMNS = """id, programme_id, at, kind, cause, seed, budget_left,
    cardinality(entrant_ids) AS entrants, cardinality(winner_ids) AS winners"""
DRAWS = f"SELECT {_DRAW_COLUMNS} FROM programme_draws WHERE programme_id = $1 ORDER BY at, id"
DRAW = "SELECT * FROM programme_draws WHERE programme_id = $1 AND id = $2"
APPLICATIONS = """
SELECT * FROM orders WHERE programme_id = $1 ORDER BY sequence LIMIT $2
"""


UNITS_BY_DAY = """
SELECT (h.at AT TIME ZONE $2)::date AS day, o.buyer->>'region' AS region,
       o.buyer->>'type' AS recipient_type, sum(h.units)::int AS units
FROM order_history h JOIN orders o ON o.id = h.order_id
WHERE o.programme_id = $1 AND h.kind = 'fulfilled' AND h.units IS NOT NULL
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
"""
# ...and the producers whose lots the handed-over applications were given (what the allocator
# gave, less what it took back or what expired), paid at the programme's unit price. An order
# counts once everything it holds was handed over.
PRODUCERS_PAID = """
SELECT (lot->>'producer_id')::uuid AS producer_id,
       sum(CASE h.kind WHEN 'allocated' THEN 1 ELSE -1 END * (lot->>'quantity')::int)::int AS units,
       sum(CASE h.kind WHEN 'allocated' THEN 1 ELSE -1 END * (lot->>'quantity')::bigint
           * o.programme_unit_price)::bigint AS amount
FROM orders o
JOIN order_history h ON h.order_id = o.id AND h.kind IN ('allocated', 'released', 'expired')
CROSS JOIN jsonb_array_elements(coalesce(h.detail->'lots', '[]')) AS lot
WHERE o.programme_id = $1 AND o.programme_status = 'admitted' AND o.fulfilled > 0
  AND o.fulfilled >= o.allocated
GROUP BY 1
HAVING sum(CASE h.kind WHEN 'allocated' THEN 1 ELSE -1 END * (lot->>'quantity')::int) > 0
ORDER BY 1
"""


async def programme_row(conn: asyncpg.Connection, programme_id: uuid.UUID):
    return await conn.fetchrow(PROGRAMME_SHOWN, programme_id)


async def programme_rows(conn: asyncpg.Connection, hub: str | None) -> list[asyncpg.Record]:
    return await conn.fetch(PROGRAMMES_SHOWN, hub)


async def draw_rows(conn: asyncpg.Connection, programme_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(DRAWS, programme_id)


async def draw_row(conn: asyncpg.Connection, programme_id: uuid.UUID, draw_id: uuid.UUID):
    return await conn.fetchrow(DRAW, programme_id, draw_id)


async def application_rows(
    conn: asyncpg.Connection, programme_id: uuid.UUID, most: int
) -> list[asyncpg.Record]:
    return await conn.fetch(APPLICATIONS, programme_id, most)


async def report_rows(conn: asyncpg.Connection, programme_id: uuid.UUID, timezone: str):
    """Units handed over by day, region and type; producers paid."""
    return (
        await conn.fetch(UNITS_BY_DAY, programme_id, timezone),
        await conn.fetch(PRODUCERS_PAID, programme_id),
    )
