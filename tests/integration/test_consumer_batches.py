"""The batching consumer against the real broker and database: many events per transaction, a
bad event dead-lettered without holding up the rest, a duplicate handled once."""

import asyncio
from collections.abc import Sequence

import asyncpg
from aio_pika.abc import AbstractRobustConnection

from shared.bus import connect
from shared.consumer import Consumer, Event, EventHandlers
from shared.db import SHARED_MIGRATIONS, create_pool, migrate, migrations_in
from shared.topology import QUEUES
from tests.support.bus import dead_letters, publish_event
from tests.support.events import order_id, placed
from tools.client import wait_until
from tools.sandbox import sandbox

POISON_QUANTITY = 13  # an order of 13 makes the handler below fail, every time


class Recorder:
    """A service's handler that writes each event it sees and fails on the poisoned one."""

    def __init__(self) -> None:
        self.batch_sizes: list[int] = []

    async def handle_batch(self, conn: asyncpg.Connection, events: Sequence[Event]) -> None:
        self.batch_sizes.append(len(events))
        for event in events:
            if event.payload.quantity == POISON_QUANTITY:
                raise ValueError("this order cannot be handled")
            await conn.execute("INSERT INTO seen (order_id) VALUES ($1)", event.payload.order_id)


async def test_a_batch_with_a_bad_event_handles_the_rest_and_parks_the_bad_one():
    async with sandbox("plut_batches") as box:
        pool = await create_pool(box.database_url, "batches")
        broker = await connect(box.amqp_url, "test")
        recorder = Recorder()
        # The allocator's queue and bindings, with a handler of this test's own.
        handlers = EventHandlers(frozenset(QUEUES["allocator"].routing_keys), recorder.handle_batch)
        consumer = Consumer(
            service="allocator",
            pool=pool,
            broker=broker,
            handlers=handlers,
            prefetch_count=100,
            batch_size=50,
            retry_delay=0.01,
        )
        try:
            async with pool.acquire() as conn:
                await migrate(conn, "batches", migrations_in(SHARED_MIGRATIONS, prefix="shared/"))
                await conn.execute("CREATE TABLE seen (order_id uuid NOT NULL)")
            hub = "batches"
            good = [placed(hub, 1 + n % 5) for n in range(40)]
            bad = placed(hub, POISON_QUANTITY)
            connection: AbstractRobustConnection = broker.connection
            for event in [*good[:20], bad, *good[20:], good[0]]:  # good[0] twice
                await publish_event(connection, event)
            await consumer.start()

            async def all_seen():
                return await pool.fetchval("SELECT count(*) FROM seen") == len(good)

            await wait_until(all_seen, what="every good event handled")
            parked = await wait_until(
                lambda: dead_letters(connection, "allocator"), what="the bad event parked"
            )
            await asyncio.sleep(0.3)  # a duplicate, if handled twice, would show by now

            seen = [row["order_id"] for row in await pool.fetch("SELECT order_id FROM seen")]
            assert sorted(map(str, seen)) == sorted(order_id(event) for event in good)
            assert len(parked) == 1 and parked[0].message_id == str(bad.id)
            assert "cannot be handled" in parked[0].headers["x-error"]
            assert max(recorder.batch_sizes) > 1, "events were handled in batches"
            assert await pool.fetchval("SELECT count(*) FROM inbox") == len(good)
        finally:
            await consumer.stop()
            await broker.connection.close()
            await pool.close()
