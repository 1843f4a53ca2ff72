"""Intake's unit of work against the running stack's database: what two transactions at once
make of one key. A use case reads a key free and the unit of work writes it at the end; when
another transaction took it in between, the write is refused as the read would have refused
it, and nothing of the loser is written."""

from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.intake.handlers.hubs import register_hub
from services.intake.handlers.problems import taken_problem
from services.intake.handlers.producers import register_producer
from services.intake.models import NewHub, NewProducer
from services.intake.store import Taken
from services.intake.store.unit_of_work import UnitOfWork
from shared.db import create_pool
from tools.client import new_hub_code
from tools.sandbox import Sandbox


@pytest.fixture
async def intake_pool(box: Sandbox, stack) -> AsyncIterator[asyncpg.Pool]:
    """Connections as intake's own (its schema, its codecs)."""
    pool = await create_pool(box.database_url, "intake", max_size=2)
    yield pool
    await pool.close()


async def test_a_hub_code_taken_meanwhile_is_refused_as_taken(intake_pool: asyncpg.Pool):
    code = new_hub_code()
    async with intake_pool.acquire() as first, intake_pool.acquire() as second:
        first_tx, second_tx = first.transaction(), second.transaction()
        await first_tx.start()
        await second_tx.start()
        winner, loser = UnitOfWork(first), UnitOfWork(second)
        # Both find the code free before either writes.
        await register_hub(winner, NewHub(code=code, name="Pertama"), "test-uow")
        await register_hub(loser, NewHub(code=code, name="Kedua"), "test-uow")
        await winner.flush()
        await first_tx.commit()

        with pytest.raises(Taken) as taken:
            await loser.flush()
        await second_tx.rollback()

        assert (taken.value.kind, taken.value.keys) == ("hub", [code])
        assert taken_problem(taken.value).status == 409
        assert await first.fetchval("SELECT name FROM hubs WHERE code = $1", code) == "Pertama"


async def test_a_phone_registered_meanwhile_is_refused_and_nothing_of_it_is_left(
    intake_pool: asyncpg.Pool, hub: str
):
    new = NewProducer(hub=hub, name="Ibu Sari", phone="081234500000", regency="Kapuas")
    async with intake_pool.acquire() as first, intake_pool.acquire() as second:
        first_tx, second_tx = first.transaction(), second.transaction()
        await first_tx.start()
        await second_tx.start()
        winner, loser = UnitOfWork(first), UnitOfWork(second)
        await register_producer(winner, new, "test-uow")
        lost = await register_producer(loser, new, "test-uow")
        await winner.flush()
        await first_tx.commit()

        with pytest.raises(Taken) as taken:
            await loser.flush()
        await second_tx.rollback()

        assert (taken.value.kind, taken.value.keys) == ("producer", ["+6281234500000"])
        assert taken_problem(taken.value).status == 409
        assert await first.fetchval("SELECT count(*) FROM producers WHERE id = $1", lost.id) == 0
