"""Idempotency keys and pooled connections below HTTP: the races an HTTP test cannot time."""

import hashlib
import uuid

import asyncpg

from services.orders import idempotency
from services.orders.idempotency import Answer
from services.orders.store.keys import STORE
from shared.db import create_pool


async def test_a_first_answer_committed_during_the_claim_is_replayed(box, client):
    """The claim's look-up reads a snapshot taken before its lock: a first request that commits
    in between is not seen, storing the answer again fails, and the retry replays the first."""
    owner, key, request = f"race-{uuid.uuid4()}", str(uuid.uuid4()), "POST /v1/orders\n{}"
    request_hash = hashlib.sha256(request.encode()).hexdigest()
    pool = await create_pool(box.database_url, "orders", max_size=2)
    acted = []
    try:

        async def act(conn: asyncpg.Connection) -> Answer:
            acted.append(1)
            # The first request's commit, landing after this one's claim found nothing.
            async with pool.acquire() as other:
                await other.execute(STORE, owner, key, request_hash, 201, '{"first": true}')
            return Answer(201, '{"second": true}')

        async with pool.acquire() as conn:
            answer = await idempotency.once(conn, owner, key, request, act)
            stored = await conn.fetch(
                "SELECT response FROM idempotency_keys WHERE owner = $1", owner
            )
    finally:
        await pool.close()

    assert answer == Answer(201, '{"first": true}', replayed=True)
    assert len(acted) == 1, "the retry found the answer and did not act again"
    assert [row["response"] for row in stored] == ['{"first": true}']


async def test_a_pooled_connection_comes_back_without_its_transaction(box, client):
    """The pools skip asyncpg's reset query; an abandoned transaction is still rolled back."""
    pool = await create_pool(box.database_url, "orders", max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("BEGIN")
            await conn.execute("SELECT pg_advisory_xact_lock(42)")
        async with pool.acquire() as conn:
            in_transaction = conn.is_in_transaction()
            held = await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = $1",
                conn.get_server_pid(),
            )
    finally:
        await pool.close()

    assert not in_transaction and held == 0
