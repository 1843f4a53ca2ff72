"""The inbound worker against a real database, in this process, with an `answer` of
its own: a number's messages in order, one at a time; a failed answer rolled back whole and
tried again later, the number's later messages waiting behind it; given up on after so many."""

import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from services.notifier.inbound.notifications import InboundMessage
from services.notifier.inbound.worker import InboundWorker
from services.notifier.store import inbound as store
from shared.db import open_database, service_migrations
from tools.client import wait_until
from tools.sandbox import Sandbox

MIGRATIONS = Path(__file__).parents[2] / "services" / "notifier" / "migrations"


@pytest.fixture
async def pool(box: Sandbox):
    """The notifier's tables in a schema of this test's own: the stack's worker never sees them."""
    schema = f"inbound_{uuid.uuid4().hex[:8]}"
    async for made in open_database(box.database_url, schema, service_migrations(MIGRATIONS)):
        yield made
        async with made.acquire() as conn:
            await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def text(phone: str, said: str) -> InboundMessage:
    return InboundMessage(
        f"wamid.{uuid.uuid4().hex}", "whatsapp", phone, "Sari", said, None, datetime.now(UTC)
    )


async def rows(pool: asyncpg.Pool) -> dict[str, asyncpg.Record]:
    async with pool.acquire() as conn:
        found = await conn.fetch("SELECT * FROM inbound_messages ORDER BY seq")
    return {row["text"]: row for row in found}


async def all_handled(worker: InboundWorker, pool: asyncpg.Pool) -> dict[str, asyncpg.Record]:
    """The worker's turns (as its doorbell would wake it) until every message is handled."""

    async def turn():
        await worker.answer_batch()
        found = await rows(pool)
        return found if all(row["handled_at"] for row in found.values()) else None

    return await wait_until(turn, what="every inbound message handled", interval=0.01)


async def test_a_failed_answer_is_rolled_back_retried_and_holds_up_only_its_number(
    pool: asyncpg.Pool,
):
    heard: list[str] = []
    fail = {"A1"}

    async def answer(conn: asyncpg.Connection, inbound: InboundMessage) -> None:
        heard.append(inbound.text)
        await conn.execute(
            "INSERT INTO opt_outs (id, channel, address) VALUES ($1, 'whatsapp', $2)",
            uuid.uuid4(),
            inbound.text,
        )
        if inbound.text in fail:
            fail.discard(inbound.text)
            raise RuntimeError("the conversation broke")

    messages = [text("+6281100000001", "A1"), text("+6281100000001", "A2")]
    messages.append(text("+6281100000002", "B1"))
    async with pool.acquire() as conn:
        assert await store.record(conn, [], messages, "test") == (0, 3)
    worker = InboundWorker(
        pool=pool, answer=answer, batch_size=10, concurrency=4, retry_seconds=0.001, max_failures=3
    )

    assert await worker.answer_batch() == 1, "A1 failed, B1 answered; A2 waits behind A1"
    assert sorted(heard) == ["A1", "B1"]
    found = await rows(pool)
    assert found["A1"]["failures"] == 1 and "conversation broke" in found["A1"]["last_error"]
    assert found["A1"]["handled_at"] is None and found["A2"]["handled_at"] is None
    assert found["B1"]["handled_at"] is not None
    async with pool.acquire() as conn:
        kept = {r["address"] for r in await conn.fetch("SELECT address FROM opt_outs")}
    assert kept == {"B1"}, "the failed answer's writes were rolled back"

    await all_handled(worker, pool)
    assert heard[2:] == ["A1", "A2"], "A1 again, then A2 after it"


async def test_an_answer_that_keeps_failing_is_given_up_on_and_the_next_goes(
    pool: asyncpg.Pool,
):
    async def answer(conn: asyncpg.Connection, inbound: InboundMessage) -> None:
        if inbound.text == "bad":
            raise ValueError("cannot answer this")

    async with pool.acquire() as conn:
        await store.record(
            conn, [], [text("+6281100000003", "bad"), text("+6281100000003", "good")], "test"
        )
    worker = InboundWorker(
        pool=pool, answer=answer, batch_size=10, concurrency=2, retry_seconds=0.001, max_failures=2
    )
    found = await all_handled(worker, pool)
    assert found["bad"]["failures"] == 2 and "cannot answer this" in found["bad"]["last_error"]
    assert found["bad"]["handled_at"] is not None, "given up on, the error kept"
    assert found["good"]["handled_at"] is not None and found["good"]["last_error"] is None
