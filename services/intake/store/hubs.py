"""Hubs: registered and changed by operators, read by everyone."""

import asyncpg
import orjson

from services.intake.records import Hub
from services.intake.store import Taken, columns

# The hours go as JSON text: a jsonb array would need the codec for each element.
HUBS_INSERT = """
INSERT INTO hubs (code, name, timezone, address, opening_hours, takes_site_orders, created_at)
SELECT code, name, timezone, address, opening_hours::jsonb, takes_site_orders, created_at
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[],
            $7::timestamptz[])
    AS given (code, name, timezone, address, opening_hours, takes_site_orders, created_at)
ON CONFLICT (code) DO NOTHING
RETURNING code
"""
HUBS_UPDATE = """
UPDATE hubs AS h
SET address = given.address, opening_hours = given.opening_hours::jsonb,
    takes_site_orders = given.takes_site_orders, updated_at = given.updated_at
FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::timestamptz[])
    AS given (code, address, opening_hours, takes_site_orders, updated_at)
WHERE h.code = given.code
"""
HUB_BY_CODE = "SELECT * FROM hubs WHERE code = $1"
HUB_FOR_UPDATE = "SELECT * FROM hubs WHERE code = $1 FOR UPDATE"
# $1: NULL for every hub, true for those the public site offers, false for the others.
_HUBS_WHICH = "WHERE $1::bool IS NULL OR takes_site_orders = $1"
HUBS_FOUND = f"SELECT count(*) FROM hubs {_HUBS_WHICH}"
# Oldest first: the founding hub, then the provinces as they joined.
HUBS_PAGE = f"SELECT * FROM hubs {_HUBS_WHICH} ORDER BY created_at, code LIMIT $2 OFFSET $3"


def hub_of(row: asyncpg.Record) -> Hub:
    return Hub.model_validate(dict(row))


async def one(conn: asyncpg.Connection, code: str) -> Hub | None:
    row = await conn.fetchrow(HUB_BY_CODE, code)
    return None if row is None else hub_of(row)


async def page(
    conn: asyncpg.Connection, which: bool | None, limit: int, offset: int
) -> tuple[int, list[Hub]]:
    """How many hubs match, and a page of them, from one snapshot so they agree."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        total = await conn.fetchval(HUBS_FOUND, which)
        rows = await conn.fetch(HUBS_PAGE, which, limit, offset)
    return total, [hub_of(row) for row in rows]


def _hours(hub: Hub) -> str:
    return orjson.dumps([period.model_dump() for period in hub.opening_hours]).decode()


class Hubs:
    """The hubs a unit of work read (each once) and wrote."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._read: dict[str, Hub | None] = {}
        self._added: dict[str, Hub] = {}
        self._changed: dict[str, Hub] = {}

    async def get(self, code: str, *, for_update: bool = False) -> Hub | None:
        """The hub as this unit of work last saw or wrote it; `for_update` locks its row
        until the transaction ends, so a change made from it loses no other."""
        if code in self._read and not for_update:
            return self._read[code]
        row = await self.conn.fetchrow(HUB_FOR_UPDATE if for_update else HUB_BY_CODE, code)
        self._read[code] = None if row is None else hub_of(row)
        return self._read[code]

    def add(self, hub: Hub) -> None:
        self._added[hub.code] = self._read[hub.code] = hub

    def update(self, hub: Hub) -> None:
        self._changed[hub.code] = self._read[hub.code] = hub

    async def flush(self) -> None:
        added, self._added = list(self._added.values()), {}
        changed, self._changed = list(self._changed.values()), {}
        if added:
            rows = [
                (h.code, h.name, h.timezone, h.address, _hours(h), h.takes_site_orders,
                 h.created_at)
                for h in added
            ]  # fmt: skip
            written = await self.conn.fetch(HUBS_INSERT, *columns(rows, 7))
            if len(written) < len(added):
                inserted = {row["code"] for row in written}
                raise Taken("hub", [h.code for h in added if h.code not in inserted])
        if changed:
            rows = [
                (h.code, h.address, _hours(h), h.takes_site_orders, h.updated_at) for h in changed
            ]
            await self.conn.execute(HUBS_UPDATE, *columns(rows, 5))
