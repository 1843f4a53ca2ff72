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
# No row when another application of the programme holds the ticket $5 (the programme's row is
# locked, so none enters meanwhile): the use case draws another.
ENTER = """
UPDATE orders SET programme_id = $2, programme_recipient = $3, programme_unit_price = $4,
                  programme_status = 'waiting', programme_ticket = $5
WHERE id = $1
  AND NOT EXISTS (SELECT 1 FROM orders t WHERE t.programme_id = $2 AND t.programme_ticket = $5)
RETURNING *
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
                             entrant_tickets, entrant_costs, winner_ids, winner_tickets)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
RETURNING *
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
        self,
        order_id: uuid.UUID,
        programme_id: uuid.UUID,
        recipient: str,
        unit_price: int,
        ticket: str,
    ) -> PlacedOrder | None:
        """The order entered as the programme's application, waiting, with its draw ticket;
        None when the programme already gave that ticket to another application."""
        rows = await self._fetch(ENTER, order_id, programme_id, recipient, unit_price, ticket)
        return placed_from(rows[0]) if rows else None

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
