"""How many round trips a consumed batch makes in the allocator, BEGIN and COMMIT included: at
a low rate a batch is an order or two, and its cost is its round trips, not its rows (issue 19).
Counted on the connection, with the allocator's own code as the consumer runs it."""

from pathlib import Path

import asyncpg
import pytest
from asyncpg.connection import Connection

import services.allocator
from services.allocator.consumers import handle_batch
from shared.consumer import Event, handle_new
from shared.db import create_pool, migrate, service_migrations
from tests.support.events import placed, supply
from tools.client import new_hub_code
from tools.sandbox import sandbox

MIGRATIONS = Path(services.allocator.__file__).parent / "migrations"


@pytest.fixture(scope="module")
async def allocator_db() -> asyncpg.Pool:
    async with sandbox(prefix="plut_trips") as box:
        pool = await create_pool(box.database_url, "allocator", max_size=1)
        try:
            async with pool.acquire() as conn:
                await migrate(conn, "allocator", service_migrations(MIGRATIONS))
            yield pool
        finally:
            await pool.close()


async def trips(pool: asyncpg.Pool, monkeypatch, *envelopes) -> int:
    """The statements the batch sends: asyncpg sends `execute` without arguments as a simple
    query, everything else through `_execute`."""
    count = 0
    execute, execute_with = Connection.execute, Connection._execute

    async def counted(self, query, *args, **kwargs):
        nonlocal count
        count += not args
        return await execute(self, query, *args, **kwargs)

    async def counted_with(self, *args, **kwargs):
        nonlocal count
        count += 1
        return await execute_with(self, *args, **kwargs)

    events = [Event(envelope, envelope.read()) for envelope in envelopes]
    async with pool.acquire() as conn:
        with monkeypatch.context() as patched:
            patched.setattr(Connection, "execute", counted)
            patched.setattr(Connection, "_execute", counted_with)
            async with conn.transaction():
                await handle_new(conn, events, handle_batch)
    return count


async def test_an_order_served_from_stock_costs_eight_round_trips(allocator_db, monkeypatch):
    hub = new_hub_code()
    assert await trips(allocator_db, monkeypatch, supply(hub, 10)) == 6
    # BEGIN; the inbox; the lock; the outlook (with the stock and the buyer's day); the order's
    # place; the allocations; the buyer's day and the outbox; COMMIT. The fill reads nothing:
    # the outlook read all it needs, and the new order is its class's head.
    assert await trips(allocator_db, monkeypatch, placed(hub, 1)) == 8
    assert await trips(allocator_db, monkeypatch, placed(hub, 1), placed(hub, 2)) == 8


async def test_an_order_that_waits_costs_seven(allocator_db, monkeypatch):
    hub = new_hub_code()
    # BEGIN; inbox; lock; outlook; the order's place; the outbox; COMMIT.
    assert await trips(allocator_db, monkeypatch, placed(hub, 1)) == 7


async def test_a_duplicate_costs_the_inbox_alone(allocator_db, monkeypatch):
    hub = new_hub_code()
    order = placed(hub, 1)
    await trips(allocator_db, monkeypatch, order)
    assert await trips(allocator_db, monkeypatch, order) == 3
