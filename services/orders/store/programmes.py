"""Programmes (migration 0012, services/orders/programmes/): every statement that reads or
changes a programme, its applications (orders with a programme) and its draws.

Whatever changes what a programme owes (an application entered or admitted, a draw) runs with
the programme's row locked (FOR UPDATE), so two applications, a draw and a cancel of the same
programme follow one another: each reads the budget as the one before left it.
"""

import uuid
from datetime import date
from typing import TYPE_CHECKING

import asyncpg

from services.orders.domain import PlacedOrder
from services.orders.programmes.rules import Budget, Terms
from services.orders.store.orders import order_from

if TYPE_CHECKING:
    from services.orders.store.unit_of_work import UnitOfWork

PROGRAMME_INSERT = """
INSERT INTO programmes (id, hub, name, funder, budget, starts_on, ends_on, units_per_recipient,
                        regencies, buyer_types, selection)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
"""
PRODUCTS_INSERT = """
INSERT INTO programme_products (programme_id, sku, unit_price)
SELECT $1, * FROM unnest($2::text[], $3::int[])
"""
# The skus of `$2` the hub's catalog does not list.
UNLISTED = """
SELECT u.sku FROM unnest($2::text[]) AS u(sku)
WHERE NOT EXISTS (SELECT 1 FROM catalog c WHERE c.hub = $1 AND c.sku = u.sku)
"""
# A programme as answered: its products, its budget's state, how many applied, the hub's zone.
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
PROGRAMME_LOCKED = """
SELECT p.*, coalesce((SELECT timezone FROM hub_zones z WHERE z.hub = p.hub), 'Asia/Jakarta')
           AS timezone,
       (SELECT array_agg(sku ORDER BY sku) FROM programme_products pp
        WHERE pp.programme_id = p.id) AS skus,
       (SELECT array_agg(unit_price ORDER BY sku) FROM programme_products pp
        WHERE pp.programme_id = p.id) AS prices,
       EXISTS (SELECT 1 FROM programme_draws d WHERE d.programme_id = p.id) AS drawn
FROM programmes p WHERE p.id = $1
FOR UPDATE OF p
"""
TODAY_IN = "SELECT (clock_timestamp() AT TIME ZONE $1)::date"
BUDGET = "SELECT committed, spent FROM programme_budget($1)"
# What a recipient has in the programme: a live application, and the units given to it by
# applications cancelled since (they still count against units_per_recipient).
RECIPIENT = """
SELECT coalesce(bool_or(cancelled_at IS NULL), false) AS live,
       coalesce(sum(least(fulfilled, quantity)) FILTER (WHERE cancelled_at IS NOT NULL), 0)
           AS given
FROM orders WHERE programme_id = $1 AND programme_recipient = $2
"""
ENTER = """
UPDATE orders SET programme_id = $2, programme_recipient = $3, programme_unit_price = $4,
                  programme_status = 'waiting'
WHERE id = $1 RETURNING *
"""
WAITING = """
SELECT * FROM orders
WHERE programme_id = $1 AND programme_status = 'waiting' AND cancelled_at IS NULL
ORDER BY sequence
"""
ADMIT = """
UPDATE orders SET programme_status = 'admitted', admitted_at = clock_timestamp()
WHERE id = ANY ($1::uuid[]) AND programme_status = 'waiting' AND cancelled_at IS NULL
RETURNING *
"""
# The programmes whose admitted applications these orders are: the allocator's expiries of
# them give units back to the budget.
PROGRAMMES_OF = """
SELECT DISTINCT programme_id FROM orders
WHERE id = ANY ($1::uuid[]) AND programme_status = 'admitted'
ORDER BY programme_id
"""
DRAW_INSERT = """
INSERT INTO programme_draws (id, programme_id, kind, cause, seed, budget_left, entrant_ids,
                             entrant_codes, entrant_costs, winner_ids, winner_codes)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
RETURNING *
"""
_DRAW_COLUMNS = """id, programme_id, at, kind, cause, seed, budget_left,
    cardinality(entrant_ids) AS entrants, cardinality(winner_ids) AS winners"""
DRAWS = f"SELECT {_DRAW_COLUMNS} FROM programme_draws WHERE programme_id = $1 ORDER BY at, id"
DRAW = "SELECT * FROM programme_draws WHERE programme_id = $1 AND id = $2"
APPLICATIONS = """
SELECT * FROM orders WHERE programme_id = $1 ORDER BY sequence LIMIT $2
"""


def terms_from(row: asyncpg.Record) -> Terms:
    return Terms(
        id=row["id"],
        hub=row["hub"],
        name=row["name"],
        budget=row["budget"],
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        timezone=row["timezone"],
        units_per_recipient=row["units_per_recipient"],
        regencies=tuple(row["regencies"]),
        buyer_types=tuple(row["buyer_types"]),
        selection=row["selection"],
        prices=dict(zip(row["skus"] or (), row["prices"] or (), strict=True)),
        drawn=row["drawn"],
    )


def placed_from(row: asyncpg.Record) -> PlacedOrder:
    return PlacedOrder(order_from(row), row["sequence"])


class ProgrammeRows:
    """The unit of work's programmes: each call runs when its turn comes, in the unit's
    transaction (what is held is flushed first, so it reads what the use cases wrote)."""

    def __init__(self, unit: "UnitOfWork") -> None:
        self._unit = unit
        self._returned: list[uuid.UUID] = []

    async def _fetch(self, statement: str, *arguments) -> list[asyncpg.Record]:
        await self._unit.orders.flush()
        return await self._unit.run(lambda c: c.fetch(statement, *arguments))

    async def locked(self, programme_id: uuid.UUID) -> tuple[Terms, date] | None:
        """The programme's terms, its row locked until the transaction ends, and the hub's
        date now (read after the lock)."""
        rows = await self._fetch(PROGRAMME_LOCKED, programme_id)
        if not rows:
            return None
        terms = terms_from(rows[0])
        today = await self._unit.run(lambda c: c.fetchval(TODAY_IN, terms.timezone))
        return terms, today

    async def budget(self, terms: Terms) -> Budget:
        row = (await self._fetch(BUDGET, terms.id))[0]
        return Budget(terms.budget, row["committed"], row["spent"])

    async def recipient(self, programme_id: uuid.UUID, recipient: str) -> tuple[bool, int]:
        row = (await self._fetch(RECIPIENT, programme_id, recipient))[0]
        return row["live"], row["given"]

    async def enter(
        self, order_id: uuid.UUID, programme_id: uuid.UUID, recipient: str, unit_price: int
    ) -> PlacedOrder:
        rows = await self._fetch(ENTER, order_id, programme_id, recipient, unit_price)
        return placed_from(rows[0])

    async def waiting(self, programme_id: uuid.UUID) -> list[PlacedOrder]:
        return [placed_from(row) for row in await self._fetch(WAITING, programme_id)]

    async def admit(self, order_ids: list[uuid.UUID]) -> list[PlacedOrder]:
        return [placed_from(row) for row in await self._fetch(ADMIT, order_ids)]

    async def record_draw(self, *columns) -> asyncpg.Record:
        return (await self._fetch(DRAW_INSERT, *columns))[0]

    def returned(self, order_id: uuid.UUID) -> None:
        """Units of this order will not be given (they expired): its programme, if it has
        one, gets them back, once the unit is flushed."""
        self._returned.append(order_id)

    async def programmes_returned(self) -> list[uuid.UUID]:
        """The programmes whose applications gave units back since the last call."""
        returned, self._returned = self._returned, []
        if not returned:
            return []
        rows = await self._fetch(PROGRAMMES_OF, returned)
        return [row["programme_id"] for row in rows]


# The funder's report: units handed over per day (the hub's), region and recipient type...
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


async def today_in(conn: asyncpg.Connection, timezone: str) -> date:
    return await conn.fetchval(TODAY_IN, timezone)


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


async def unlisted(conn: asyncpg.Connection, hub: str, skus: list[str]) -> list[str]:
    return [row["sku"] for row in await conn.fetch(UNLISTED, hub, skus)]


async def insert_programme(conn: asyncpg.Connection, programme_id: uuid.UUID, new) -> None:
    await conn.execute(
        PROGRAMME_INSERT,
        programme_id,
        new.hub,
        new.name,
        new.funder,
        new.budget,
        new.starts_on,
        new.ends_on,
        new.units_per_recipient,
        list(new.regencies),
        list(new.buyer_types),
        new.selection,
    )
    await conn.execute(
        PRODUCTS_INSERT,
        programme_id,
        [product.sku for product in new.products],
        [product.unit_price for product in new.products],
    )
