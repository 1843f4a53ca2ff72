"""Raw material producers run short of, as the console shows them: with the producer's name
and regency as they are now."""

import uuid
from datetime import datetime
from decimal import Decimal

import asyncpg

from services.intake.records import Shortage
from services.intake.store import columns

SHORTAGES_INSERT = """
INSERT INTO shortages (id, hub, producer_id, material, amount, unit, since, reported_at)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::numeric[], $6::text[],
                     $7::date[], $8::timestamptz[])
"""
# A shortage resolved twice keeps the first time.
SHORTAGES_RESOLVE = """
UPDATE shortages AS s SET resolved_at = coalesce(s.resolved_at, given.at)
FROM unnest($1::uuid[], $2::timestamptz[]) AS given (id, at)
WHERE s.id = given.id
"""
_SHORTAGE_VIEW = """
SELECT s.id, s.producer_id, pr.name AS producer_name, s.hub, pr.regency, s.material,
       s.amount::float8 AS amount, s.unit, s.since, s.reported_at, s.resolved_at
FROM shortages s JOIN producers pr ON pr.id = s.producer_id
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


def shortage_of(row: asyncpg.Record) -> Shortage:
    return Shortage.model_validate(dict(row))


async def page(
    conn: asyncpg.Connection, hub: str, which: bool | None, limit: int, offset: int
) -> tuple[int, list[Shortage]]:
    """How many of a hub's shortages match `which` (see above), and a page of them, oldest
    first. Call in a snapshot."""
    total = await conn.fetchval(SHORTAGES_FOUND, hub, which)
    rows = await conn.fetch(SHORTAGES_PAGE, hub, which, limit, offset)
    return total, [shortage_of(row) for row in rows]


async def summary(conn: asyncpg.Connection, hub: str) -> list[asyncpg.Record]:
    """The hub's open shortages summed by material, unit and regency."""
    return await conn.fetch(SHORTAGES_SUMMARY, hub)


class Shortages:
    """The shortages a unit of work read, reported and resolved."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._read: dict[uuid.UUID, Shortage | None] = {}
        self._added: list[Shortage] = []
        self._resolved: dict[uuid.UUID, datetime] = {}

    async def get(self, shortage_id: uuid.UUID) -> Shortage | None:
        if shortage_id not in self._read:
            row = await self.conn.fetchrow(SHORTAGE_BY_ID, shortage_id)
            self._read[shortage_id] = None if row is None else shortage_of(row)
        return self._read[shortage_id]

    def add(self, shortage: Shortage) -> None:
        self._added.append(shortage)
        self._read[shortage.id] = shortage

    def resolve(self, shortage: Shortage) -> None:
        """`shortage` as resolved (at its `resolved_at`), unless it was already."""
        self._resolved.setdefault(shortage.id, shortage.resolved_at)
        self._read[shortage.id] = shortage

    async def flush(self) -> None:
        added, self._added = self._added, []
        resolved, self._resolved = self._resolved, {}
        if added:
            rows = [
                (s.id, s.hub, s.producer_id, s.material, Decimal(f"{s.amount:.2f}"), s.unit,
                 s.since, s.reported_at)
                for s in added
            ]  # fmt: skip
            await self.conn.execute(SHORTAGES_INSERT, *columns(rows, 8))
        if resolved:
            await self.conn.execute(SHORTAGES_RESOLVE, list(resolved), list(resolved.values()))
