"""Producers: registered one by one or from a file, corrected, and found by the console."""

import uuid

import asyncpg

from services.intake.records import Producer
from services.intake.store import Taken, columns

# The rows inserted; a phone already taken (by a concurrent registration) is missing from the
# answer.
PRODUCERS_INSERT = """
INSERT INTO producers (id, hub, name, phone, regency, email, language, channel, registered_at)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::text[], $9::timestamptz[])
ON CONFLICT (hub, phone) DO NOTHING
RETURNING id
"""
PRODUCERS_UPDATE = """
UPDATE producers AS p
SET name = given.name, phone = given.phone, regency = given.regency, email = given.email,
    language = given.language, channel = given.channel, updated_at = given.updated_at
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::text[], $8::timestamptz[])
    AS given (id, name, phone, regency, email, language, channel, updated_at)
WHERE p.id = given.id
"""
PRODUCER_BY_ID = "SELECT * FROM producers WHERE id = $1"
PRODUCER_FOR_UPDATE = "SELECT * FROM producers WHERE id = $1 FOR UPDATE"
PHONES_TAKEN = "SELECT phone FROM producers WHERE hub = $1 AND phone = ANY($2::text[])"

# A hub's producers ($1) whose name matches a LIKE pattern in any case ($2), or whose number
# matches one ($3). A statement for each case, each planned for itself: one for all cases
# would be planned for none (and the trigram index for names could not serve it).
_PRODUCERS_MATCHING = {
    (False, False): "hub = $1",
    (True, False): "hub = $1 AND name ILIKE $2",
    (True, True): "hub = $1 AND (name ILIKE $2 OR phone LIKE $3)",
}


def producer_of(row: asyncpg.Record) -> Producer:
    return Producer.model_validate(dict(row))


async def one(conn: asyncpg.Connection, producer_id: uuid.UUID) -> Producer | None:
    row = await conn.fetchrow(PRODUCER_BY_ID, producer_id)
    return None if row is None else producer_of(row)


async def found(
    conn: asyncpg.Connection, hub: str, patterns: list[str], limit: int, offset: int
) -> tuple[int, list[Producer]]:
    """How many of a hub's producers match the name pattern and the phone pattern (each
    optional, in that order), and a page of them by name. Call in a snapshot."""
    which = _PRODUCERS_MATCHING[len(patterns) > 0, len(patterns) > 1]
    last = 2 + len(patterns)
    total = await conn.fetchval(f"SELECT count(*) FROM producers WHERE {which}", hub, *patterns)
    rows = await conn.fetch(
        f"SELECT * FROM producers WHERE {which} ORDER BY name, id LIMIT ${last} OFFSET ${last + 1}",
        hub,
        *patterns,
        limit,
        offset,
    )
    return total, [producer_of(row) for row in rows]


class Producers:
    """The producers a unit of work read and wrote, and the phones it knows taken or free."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._read: dict[uuid.UUID, Producer | None] = {}
        self._phones: dict[tuple[str, str], bool] = {}
        self._added: dict[uuid.UUID, Producer] = {}
        self._changed: dict[uuid.UUID, Producer] = {}

    async def get(self, producer_id: uuid.UUID, *, for_update: bool = False) -> Producer | None:
        if producer_id in self._read and not for_update:
            return self._read[producer_id]
        sql = PRODUCER_FOR_UPDATE if for_update else PRODUCER_BY_ID
        row = await self.conn.fetchrow(sql, producer_id)
        self._read[producer_id] = None if row is None else producer_of(row)
        return self._read[producer_id]

    async def phones_taken(self, hub: str, phones: list[str]) -> set[str]:
        """Which of `phones` a producer of the hub has: one read for all that are not known."""
        unknown = [phone for phone in phones if (hub, phone) not in self._phones]
        if unknown:
            rows = await self.conn.fetch(PHONES_TAKEN, hub, unknown)
            for phone in unknown:
                self._phones[hub, phone] = False
            for row in rows:
                self._phones[hub, row["phone"]] = True
        return {phone for phone in phones if self._phones[hub, phone]}

    def add(self, producer: Producer) -> None:
        self._added[producer.id] = self._read[producer.id] = producer
        self._phones[producer.hub, producer.phone] = True

    def update(self, producer: Producer) -> None:
        self._changed[producer.id] = self._read[producer.id] = producer
        self._phones[producer.hub, producer.phone] = True

    async def flush(self) -> None:
        added, self._added = list(self._added.values()), {}
        changed, self._changed = list(self._changed.values()), {}
        if added:
            rows = [
                (p.id, p.hub, p.name, p.phone, p.regency, p.email, p.language, p.channel,
                 p.registered_at)
                for p in added
            ]  # fmt: skip
            written = await self.conn.fetch(PRODUCERS_INSERT, *columns(rows, 9))
            if len(written) < len(added):
                inserted = {row["id"] for row in written}
                raise Taken("producer", [p.phone for p in added if p.id not in inserted])
        if changed:
            rows = [
                (p.id, p.name, p.phone, p.regency, p.email, p.language, p.channel, p.updated_at)
                for p in changed
            ]
            try:
                await self.conn.execute(PRODUCERS_UPDATE, *columns(rows, 8))
            except asyncpg.UniqueViolationError:
                raise Taken("producer_phone", [p.phone for p in changed]) from None
