"""Idempotency keys: each caller's, with the first answer stored beside it (idempotency.py)."""

from typing import TYPE_CHECKING

import asyncpg

from services.orders.domain import Claim
from shared.pruning import deleting

if TYPE_CHECKING:
    from services.orders.store.unit_of_work import UnitOfWork

# One round trip: the key's lock, held until the transaction ends (a second request with the
# key meanwhile is in flight), and its stored answer. The look-up reads the statement's snapshot,
# taken before the lock: a first request that committed in between is not seen, and storing
# the answer again then fails on the key (`STORED_MEANWHILE`), rolling back; `once` tries again.
CLAIM = """
SELECT pg_try_advisory_xact_lock(hashtextextended($1 || chr(10) || $2, 0)) AS locked,
       s.request_hash, s.status, s.response
FROM (SELECT) AS one
LEFT JOIN idempotency_keys s ON s.owner = $1 AND s.key = $2
"""
STORED_MEANWHILE = "idempotency_keys_pkey"
STORE = """
INSERT INTO idempotency_keys (owner, key, request_hash, status, response)
VALUES ($1, $2, $3, $4, $5)
"""
FORGET = deleting("idempotency_keys", "created_at < now() - $1::interval")

# The keys' locks, held until the transaction ends (a key locked elsewhere is in flight), and
# their stored answers: as CLAIM, for every keyed request of the batch at once.
CLAIMS = """
SELECT k.i, pg_try_advisory_xact_lock(hashtextextended(k.owner || chr(10) || k.key, 0)) AS locked,
       s.request_hash, s.status, s.response
FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(owner, key, i)
LEFT JOIN idempotency_keys s ON s.owner = k.owner AND s.key = k.key
"""
# First answers, for many keys at once.
ANSWERS_INSERT = """
INSERT INTO idempotency_keys (owner, key, request_hash, status, response)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[])
"""


class KeyRows:
    """The unit of work's idempotency keys: claims gathered into one statement, first answers
    held until flushed."""

    def __init__(self, unit: "UnitOfWork") -> None:
        self._unit = unit
        self._claim = unit.gathered(_claim_all)
        self._claimed: set[tuple[str, str]] = set()
        self._answers: list[tuple[str, str, str, int, str]] = []

    async def claim(self, owner: str, key: str) -> Claim:
        """The key's lock until the transaction ends, and what is stored under it."""
        # Advisory locks are re-entrant within a session, so the database would give a key twice
        # to one unit: its second claim is in flight, as it would be in another transaction.
        if (owner, key) in self._claimed:
            return Claim(locked=False)
        self._claimed.add((owner, key))
        return await self._claim((owner, key))

    def store(self, owner: str, key: str, request_hash: str, status: int, body: str) -> None:
        self._answers.append((owner, key, request_hash, status, body))

    def take(self) -> list[list] | None:
        """The answers held, as ANSWERS_INSERT's columns (None: none), and hold nothing."""
        answers, self._answers = self._answers, []
        return [[answer[n] for answer in answers] for n in range(5)] if answers else None


async def _claim_all(conn: asyncpg.Connection, asked: list[tuple[str, str]]) -> list[Claim]:
    rows = await conn.fetch(CLAIMS, [owner for owner, _ in asked], [key for _, key in asked])
    claims = [Claim(locked=False)] * len(asked)
    for row in rows:
        claims[row["i"] - 1] = Claim(
            row["locked"], row["request_hash"], row["status"], row["response"]
        )
    return claims
