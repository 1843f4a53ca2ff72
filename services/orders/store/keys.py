"""Idempotency keys: each caller's, with the first answer stored beside it (idempotency.py)."""

from typing import TYPE_CHECKING

import asyncpg

from services.orders.domain import Claim
from services.orders.store.products import products_locked
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
# their stored answers: as CLAIM, for every keyed request of the batch at once. First, the locks
# of the products the batch orders ($3, $4: keyed or not), before it draws any order's place in
# the queue (store/products.py): a batch's first statement, in the round trip it makes anyway.
# And which of those products have order windows (`windowed`, "hub\nsku"): the others' orders
# need no windows' read (store/windows.py). Read in the statement's snapshot, as the stored
# answers are: a window opened as the batch waited for its product is counted from the next.
CLAIMS = f"""
SELECT k.i, pg_try_advisory_xact_lock(hashtextextended(k.owner || chr(10) || k.key, 0)) AS locked,
       s.request_hash, s.status, s.response,
       (SELECT array_agg(DISTINCT w.hub || chr(10) || w.sku) FROM order_windows w
        WHERE (w.hub, w.sku) IN (SELECT * FROM unnest($3::text[], $4::text[]))) AS windowed
FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(owner, key, i)
LEFT JOIN idempotency_keys s ON s.owner = k.owner AND s.key = k.key
WHERE {products_locked("$3", "$4")}
"""
# First answers, for many keys at once.
ANSWERS_INSERT = """
INSERT INTO idempotency_keys (owner, key, request_hash, status, response)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[])
"""


class KeyRows:
    """The unit of work's idempotency keys: claims gathered into one statement, with the locks
    of the orders' products, first answers held until flushed."""

    def __init__(self, unit: "UnitOfWork") -> None:
        self._unit = unit
        self._claim = unit.gathered(self._claim_all)
        self._claimed: set[tuple[str, str]] = set()
        self._answers: list[tuple[str, str, str, int, str]] = []

    async def claim(self, owner: str, key: str | None, hub: str, sku: str) -> Claim:
        """The key's lock until the transaction ends, and what is stored under it (no key: a
        lock without an answer); the product's lock (`hub`, `sku`) with the claims asked
        alongside, so a batch's orders lock their products in one statement, sorted."""
        # Advisory locks are re-entrant within a session, so the database would give a key twice
        # to one unit: its second claim is in flight, as it would be in another transaction.
        if key is not None and (owner, key) in self._claimed:
            return Claim(locked=False)
        if key is not None:
            self._claimed.add((owner, key))
        return await self._claim((owner, key, hub, sku))

    def store(self, owner: str, key: str, request_hash: str, status: int, body: str) -> None:
        self._answers.append((owner, key, request_hash, status, body))

    def take(self) -> list[list] | None:
        """The answers held, as ANSWERS_INSERT's columns (None: none), and hold nothing."""
        answers, self._answers = self._answers, []
        return [[answer[n] for answer in answers] for n in range(5)] if answers else None

    async def _claim_all(self, conn: asyncpg.Connection, asked: list[tuple]) -> list[Claim]:
        keyed = [n for n, (_, key, _, _) in enumerate(asked) if key is not None]
        claims = [Claim(locked=True)] * len(asked)
        if not keyed:  # no round trip: the windows' read or the insert locks the products
            return claims
        rows = await conn.fetch(
            CLAIMS,
            [asked[n][0] for n in keyed],
            [asked[n][1] for n in keyed],
            [hub for _, _, hub, _ in asked],
            [sku for _, _, _, sku in asked],
        )
        for n in keyed:
            claims[n] = Claim(locked=False)
        for row in rows:
            claims[keyed[row["i"] - 1]] = Claim(
                row["locked"], row["request_hash"], row["status"], row["response"]
            )
        windowed = set(rows[0]["windowed"] or ()) if rows else set()
        self._unit.windows.without(
            {(hub, sku) for _, _, hub, sku in asked if f"{hub}\n{sku}" not in windowed}
        )
        return claims
