"""The batching consumer against the real broker and database: many events per transaction, a
bad event dead-lettered without holding up the rest, a duplicate handled once, a database that
went away waited for rather than blamed on the event; messages that carry a batch of events
taken apart, and messages of one event, as before batches, still read."""

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import asyncpg
import orjson
from aio_pika.abc import AbstractRobustConnection

from shared.bus import connect, publish
from shared.consumer import HANDLER_ATTEMPTS, Consumer, Event, EventHandlers
from shared.db import SHARED_MIGRATIONS, create_pool, migrate, migrations_in
from shared.events import BATCH_CONTENT_TYPE, batch_body
from shared.topology import EXCHANGE, QUEUES
from tests.support.bus import dead_letters, publish_batch, publish_event, publish_raw
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


@asynccontextmanager
async def consuming(handle_batch) -> AsyncIterator[tuple]:
    """The allocator's queue and bindings, in a sandbox of their own, consumed by a handler of
    the test's own; a table `seen` for it to write to."""
    async with sandbox("plut_batches") as box:
        pool = await create_pool(box.database_url, "batches")
        broker = await connect(box.amqp_url, "test")
        handlers = EventHandlers(frozenset(QUEUES["allocator"].routing_keys), handle_batch)
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
            yield pool, broker.connection, consumer
        finally:
            await consumer.stop()
            await broker.connection.close()
            await pool.close()


async def test_a_batch_with_a_bad_event_handles_the_rest_and_parks_the_bad_one():
    recorder = Recorder()
    async with consuming(recorder.handle_batch) as (pool, connection, consumer):
        hub = "batches"
        good = [placed(hub, 1 + n % 5) for n in range(40)]
        bad = placed(hub, POISON_QUANTITY)
        # The last one is published after good[0]'s copy, and one queue is consumed in order:
        # once it is handled, so is the copy, whatever the copy did.
        last = placed(hub, 1)
        for event in [*good[:20], bad, *good[20:], good[0], last]:  # good[0] twice
            await publish_event(connection, event)
        await consumer.start()

        async def last_seen():
            return await pool.fetchval(
                "SELECT count(*) FROM seen WHERE order_id = $1", uuid.UUID(order_id(last))
            )

        await wait_until(last_seen, what="the event published last handled")
        parked = await wait_until(
            lambda: dead_letters(connection, "allocator"), what="the bad event parked"
        )

        seen = [row["order_id"] for row in await pool.fetch("SELECT order_id FROM seen")]
        assert sorted(map(str, seen)) == sorted(order_id(event) for event in [*good, last])
        assert len(parked) == 1 and parked[0].message_id == str(bad.id)
        assert "cannot be handled" in parked[0].headers["x-error"]
        assert max(recorder.batch_sizes) > 1, "events were handled in batches"
        assert await pool.fetchval("SELECT count(*) FROM inbox") == len(good) + 1


async def test_connections_a_database_restart_left_unusable_are_retried_never_dead_lettered():
    """After Postgres ends its sessions, asyncpg's pool can hand out a connection whose session
    is gone before its socket says so, and the query fails with InternalClientError. That is the
    database's fault, not the event's: it is tried again (on a fresh connection) for as long as
    it takes, more times than a handler's bug would be, and never parked."""
    failures_left = HANDLER_ATTEMPTS + 2

    async def handle_batch(conn: asyncpg.Connection, events: Sequence[Event]) -> None:
        nonlocal failures_left
        if failures_left:
            failures_left -= 1
            raise asyncpg.InternalClientError(
                "cannot switch to state 15; another operation (2) is in progress"
            )
        for event in events:
            await conn.execute("INSERT INTO seen (order_id) VALUES ($1)", event.payload.order_id)

    async with consuming(handle_batch) as (pool, connection, consumer):
        event = placed("batches", 2)
        await publish_event(connection, event)
        await consumer.start()

        async def seen():
            return await pool.fetchval("SELECT order_id::text FROM seen")

        assert await wait_until(seen, what="the event handled") == order_id(event)
        assert failures_left == 0
        assert await dead_letters(connection, "allocator") == []


async def seen_ids(pool: asyncpg.Pool) -> list[str]:
    return sorted(str(row["order_id"]) for row in await pool.fetch("SELECT order_id FROM seen"))


async def left_in_the_queue(connection: AbstractRobustConnection) -> int:
    """Messages the allocator's queue holds (those taken and not acked come back when the
    consumer's channel closes)."""
    async with connection.channel() as channel:
        queue = await channel.declare_queue("allocator.events", passive=True)
        return queue.declaration_result.message_count


async def test_a_batch_message_is_handled_once_per_event_though_an_event_comes_twice():
    """One message of thirty events, one of them twice in it; then the same message again, as
    a redelivery would bring it; then an event alone. Each event is handled once, the handler
    sees batches counted in events, and every message is acked."""
    recorder = Recorder()
    async with consuming(recorder.handle_batch) as (pool, connection, consumer):
        events = [placed("batches", 1 + n % 5) for n in range(30)]
        await publish_batch(connection, *events[:15], events[3], *events[15:])
        await publish_batch(connection, *events[:15], events[3], *events[15:])
        sentinel = placed("batches", 2)
        await publish_event(connection, sentinel)
        await consumer.start()

        async def sentinel_seen():
            return order_id(sentinel) in await seen_ids(pool)

        await wait_until(sentinel_seen, what="the event published last handled")
        await consumer.stop()

        assert await seen_ids(pool) == sorted(order_id(e) for e in [*events, sentinel])
        assert await pool.fetchval("SELECT count(*) FROM inbox") == len(events) + 1
        assert max(recorder.batch_sizes) >= len(events), "a batch counts events, not messages"
        assert await left_in_the_queue(connection) == 0


async def test_a_poison_event_in_a_batch_is_parked_alone_while_the_rest_commit():
    """A batch message with an event the handler cannot take and one of a version nobody
    knows: each is parked alone, as a message of one event under its own id with its reason;
    the other events of the batch are handled, and the message is acked."""
    recorder = Recorder()
    async with consuming(recorder.handle_batch) as (pool, connection, consumer):
        good = [placed("batches", 1 + n % 5) for n in range(20)]
        bad = placed("batches", POISON_QUANTITY)
        future = placed("batches", 1).model_dump(mode="json") | {"version": 99}
        bodies = [e.model_dump_json().encode() for e in good]
        body = batch_body([*bodies[:10], bad.model_dump_json().encode(), *bodies[10:]])
        body = body[:-1] + b"," + orjson.dumps(future) + b"]"
        await publish_raw(connection, body, "order.placed", str(good[0].id), BATCH_CONTENT_TYPE)
        await consumer.start()

        async def all_seen():
            return await pool.fetchval("SELECT count(*) FROM seen") == len(good)

        await wait_until(all_seen, what="every good event handled")

        async def both_parked():
            parked.extend(await dead_letters(connection, "allocator"))
            return len(parked) == 2

        parked: list = []
        await wait_until(both_parked, what="the two bad events parked")
        await consumer.stop()

        by_id = {message.message_id: message for message in parked}
        assert set(by_id) == {str(bad.id), future["id"]}
        assert "cannot be handled" in by_id[str(bad.id)].headers["x-error"]
        assert "version 99" in by_id[future["id"]].headers["x-error"]
        for message in parked:
            assert message.content_type == "application/json", "parked as one event"
            assert orjson.loads(message.body)["id"] == message.message_id
            assert message.headers["x-original-routing-key"] == "order.placed"
        assert await seen_ids(pool) == sorted(order_id(e) for e in good)
        assert await pool.fetchval("SELECT count(*) FROM inbox") == len(good)
        assert await left_in_the_queue(connection) == 0


async def test_a_message_of_one_event_as_before_batches_is_read():
    async with consuming(Recorder().handle_batch) as (pool, connection, consumer):
        event = placed("batches", 3)
        await publish_raw(connection, event.model_dump_json().encode(), event.type, str(event.id))
        await consumer.start()

        async def seen():
            return await seen_ids(pool)

        assert await wait_until(seen, what="the event handled") == [order_id(event)]


async def test_a_batch_the_broker_handed_out_again_and_again_is_handled_an_event_at_a_time():
    """A message delivered twice before (the quorum queue's count): its consumer may have died
    on one of its events each time, so each event gets a transaction of its own."""
    recorder = Recorder()
    async with consuming(recorder.handle_batch) as (pool, connection, consumer):
        events = [placed("batches", 1 + n % 5) for n in range(5)]
        body = batch_body([e.model_dump_json().encode() for e in events])
        async with connection.channel() as channel:
            exchange = await channel.get_exchange(EXCHANGE)
            await publish(
                exchange,
                body=body,
                routing_key="order.placed",
                message_id=str(events[0].id),
                correlation_id="test",
                headers={"x-delivery-count": 2},
                content_type=BATCH_CONTENT_TYPE,
            )
        await consumer.start()

        async def all_seen():
            return await pool.fetchval("SELECT count(*) FROM seen") == len(events)

        await wait_until(all_seen, what="every event handled")
        assert recorder.batch_sizes == [1] * len(events)
