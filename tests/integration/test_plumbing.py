"""The shared plumbing against the real Postgres and RabbitMQ: migrations and the outbox."""

import asyncio
import uuid
from datetime import UTC, datetime
from itertools import count

import asyncpg
import pytest

from shared import outbox
from shared.bus import connect
from shared.db import SHARED_MIGRATIONS, create_pool, migrate, migrations_in
from shared.events import Envelope, NotificationSent, OrderCancelled, events_in
from shared.outbox import OutboxRelay
from shared.partitions import PARTITION_HEADER, partition_of
from shared.topology import PARTITION_EXCHANGE
from shared.worker import Doorbell, drain_forever, draining
from tests.support.bus import EventTap
from tools.client import wait_until
from tools.sandbox import Sandbox


def new_schema() -> str:
    return f"test_{uuid.uuid4().hex[:8]}"


async def test_replicas_starting_together_apply_each_migration_once(box: Sandbox, tmp_path):
    (tmp_path / "0001_lots.sql").write_text("CREATE TABLE lots (id int);")
    (tmp_path / "0002_first_lot.sql").write_text("INSERT INTO lots VALUES (1);")
    schema = new_schema()
    replicas = [
        await asyncpg.connect(box.database_url, server_settings={"search_path": schema})
        for _ in range(3)
    ]
    try:
        applied = await asyncio.gather(
            *(migrate(conn, schema, migrations_in(tmp_path)) for conn in replicas)
        )
        assert sorted(applied, key=len) == [[], [], ["0001_lots", "0002_first_lot"]]
        assert await replicas[0].fetchval(f"SELECT count(*) FROM {schema}.lots") == 1

        (tmp_path / "0003_second_lot.sql").write_text("INSERT INTO lots VALUES (2);")
        assert await migrate(replicas[1], schema, migrations_in(tmp_path)) == ["0003_second_lot"]
        assert await migrate(replicas[2], schema, migrations_in(tmp_path)) == []
    finally:
        for conn in replicas:
            await conn.close()


async def test_a_failing_migration_leaves_nothing_half_done(box: Sandbox, tmp_path):
    (tmp_path / "0001_ok.sql").write_text("CREATE TABLE ok (id int);")
    (tmp_path / "0002_broken.sql").write_text("CREATE TABLE half (id int); SELECT 1 / 0;")
    schema = new_schema()
    conn = await asyncpg.connect(box.database_url, server_settings={"search_path": schema})
    try:
        with pytest.raises(asyncpg.DivisionByZeroError):
            await migrate(conn, schema, migrations_in(tmp_path))
        recorded = await conn.fetch(f"SELECT name FROM {schema}.schema_migrations")
        assert [row["name"] for row in recorded] == ["0001_ok"]
        assert await conn.fetchval("SELECT to_regclass($1)", f"{schema}.half") is None
    finally:
        await conn.close()


def an_event(hub: str) -> Envelope:
    payload = OrderCancelled(
        order_id=uuid.uuid4(), sku="masker-kain", cancelled_at=datetime.now(UTC)
    )
    return Envelope.wrap(payload, hub=hub, correlation_id="outbox-test")


@pytest.fixture
async def outbox_schema(box: Sandbox):
    """A schema with just the shared outbox and inbox, and a pool confined to it."""
    schema = new_schema()
    pool = await create_pool(box.database_url, schema)
    async with pool.acquire() as conn:
        await migrate(conn, schema, migrations_in(SHARED_MIGRATIONS, prefix="shared/"))
    yield pool
    await pool.close()


async def test_events_leave_only_when_their_transaction_commits(
    box: Sandbox, outbox_schema: asyncpg.Pool, tap: EventTap
):
    hub = f"outbox-{uuid.uuid4().hex[:6]}"
    rolled_back, first, second = an_event(hub), an_event(hub), an_event(hub)
    async with outbox_schema.acquire() as conn:
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await outbox.add(conn, rolled_back)
                raise RuntimeError("the state change failed")
        async with conn.transaction():
            await outbox.add(conn, first, second)
    broker = await connect(box.amqp_url, "outbox-test")
    try:
        relay = OutboxRelay(service="outbox-test", pool=outbox_schema, broker=broker, batch_size=10)
        assert await relay.publish_batch() == 2
        await tap.wait_for(lambda e: e.id == second.id, what="the second event")
        assert [e.id for e in tap.of_hub(hub)] == [first.id, second.id]
        assert await relay.publish_batch() == 0, "published events leave the outbox"
    finally:
        await broker.connection.close()


async def test_an_event_nobody_consumes_is_never_stored_nor_published(
    box: Sandbox, outbox_schema: asyncpg.Pool, tap: EventTap
):
    """notification.sent has no queue bound to it: `outbox.add` drops it, so the relay
    publishes only the event beside it."""
    hub = f"outbox-{uuid.uuid4().hex[:6]}"
    unheard = Envelope.wrap(
        NotificationSent(message_id=uuid.uuid4(), template="order_received", channel="sms"),
        hub=hub,
        correlation_id="outbox-test",
    )
    consumed = an_event(hub)
    async with outbox_schema.acquire() as conn, conn.transaction():
        await outbox.add(conn, unheard, consumed)
    async with outbox_schema.acquire() as conn:
        stored = await conn.fetch("SELECT event_id FROM outbox")
    assert [row["event_id"] for row in stored] == [consumed.id]
    broker = await connect(box.amqp_url, "outbox-test")
    try:
        relay = OutboxRelay(service="outbox-test", pool=outbox_schema, broker=broker, batch_size=10)
        assert await relay.publish_batch() == 1
        await tap.wait_for(lambda e: e.id == consumed.id, what="the consumed event")
    finally:
        await broker.connection.close()


async def test_events_wait_in_the_outbox_while_the_broker_is_away(
    box: Sandbox, outbox_schema: asyncpg.Pool
):
    broker = await connect(box.amqp_url, "outbox-test")
    relay = OutboxRelay(service="outbox-test", pool=outbox_schema, broker=broker, batch_size=10)
    async with outbox_schema.acquire() as conn:
        await outbox.add(conn, an_event("outbox-away"))
    await broker.connection.close()

    with pytest.raises(Exception):  # noqa: B017 - whatever the closed channel raises
        await relay.publish_batch()

    async with outbox_schema.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 1


async def test_the_relays_claim_spares_its_commit_the_wait_for_the_disk(
    outbox_schema: asyncpg.Pool,
):
    async with outbox_schema.acquire() as conn:
        await outbox.add(conn, an_event("outbox-claim"), an_event("outbox-claim"))
        async with conn.transaction():
            assert len(await conn.fetch(outbox.OUTBOX_CLAIM, 10)) == 2
            assert await conn.fetchval("SHOW synchronous_commit") == "off"
        assert await conn.fetchval("SHOW synchronous_commit") == "on", "for its transaction only"


async def test_a_worker_cancelled_as_its_doorbell_rings_stops(box: Sandbox):
    """Shutdown cancels the workers; one whose bell rang in the same moment must still stop
    (asyncio.wait_for on Python 3.11 swallowed that cancellation, and the notifier hung)."""
    doorbell = Doorbell(box.database_url, f"test_{uuid.uuid4().hex[:8]}", poll_seconds=30)

    async def nothing_to_do() -> int:
        return 0

    worker = asyncio.create_task(
        drain_forever(nothing_to_do, doorbell=doorbell, batch_size=1, name="test")
    )
    for _ in range(100):  # until it waits on the bell
        if doorbell._listener is not None:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)
    doorbell.ring()
    await asyncio.sleep(0)  # the bell's waiter finishes: the moment the cancellation comes
    worker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(worker, 5)


async def test_a_worker_whose_claims_come_full_claims_again_at_once(box: Sandbox):
    """A full claim means more may wait: the worker claims again without waiting for its bell,
    and without lingering, though both are an hour: the test ends only if it does."""
    doorbell = Doorbell(box.database_url, new_schema(), poll_seconds=3600)
    claims = 0
    third = asyncio.Event()

    async def full_twice() -> int:
        nonlocal claims
        claims += 1
        if claims == 3:
            third.set()
        return 10 if claims < 3 else 0

    worker = asyncio.create_task(
        drain_forever(
            full_twice, doorbell=doorbell, batch_size=10, name="test", linger_seconds=3600
        )
    )
    try:
        await asyncio.wait_for(third.wait(), 60)  # only a guard against a wait that never ends
    finally:
        worker.cancel()
        with pytest.raises(asyncio.CancelledError):
            await worker


async def test_a_lingering_relay_publishes_every_event_once(
    box: Sandbox, outbox_schema: asyncpg.Pool, tap: EventTap
):
    """Commits one at a time, each ringing the relay, which lingers before it claims: every
    event still leaves the outbox, and reaches the bus once."""
    hub = f"outbox-{uuid.uuid4().hex[:6]}"
    events = [an_event(hub) for _ in range(20)]
    schema = await outbox_schema.fetchval("SELECT current_schema()")
    broker = await connect(box.amqp_url, "outbox-test")
    relay = OutboxRelay(service="outbox-test", pool=outbox_schema, broker=broker, batch_size=100)
    try:
        async with draining(
            relay.publish_batch,
            database_url=box.database_url,
            channel=outbox.outbox_channel(schema),
            poll_seconds=0.5,  # rings before its LISTEN began are polled for
            batch_size=100,
            name="outbox relay",
            linger_seconds=0.02,
        ):
            for event in events:
                async with outbox_schema.acquire() as conn, conn.transaction():
                    await outbox.add(conn, event)

            async def outbox_empty():
                return await outbox_schema.fetchval("SELECT count(*) FROM outbox") == 0

            await wait_until(outbox_empty, what="every event published")
            for event in events:
                await tap.wait_for(lambda e, event=event: e.id == event.id, what="every event")
    finally:
        await broker.connection.close()
    assert sorted(e.id for e in tap.of_hub(hub)) == sorted(e.id for e in events)


async def test_the_relay_sends_a_products_events_together_to_its_partition(
    box: Sandbox, outbox_schema: asyncpg.Pool
):
    """A batch message holds one partition's events and carries its header, which the
    partition exchange routes by (shared/topology.py)."""
    hub = f"outbox-{uuid.uuid4().hex[:6]}"
    first, second = an_event(hub), an_event(hub)
    partition = partition_of(hub, "masker-kain")
    sku = next(f"sabun-{n}" for n in count() if partition_of(hub, f"sabun-{n}") != partition)
    elsewhere = Envelope.wrap(
        OrderCancelled(order_id=uuid.uuid4(), sku=sku, cancelled_at=datetime.now(UTC)),
        hub=hub,
        correlation_id="outbox-test",
    )
    async with outbox_schema.acquire() as conn, conn.transaction():
        await outbox.add(conn, first, elsewhere, second)
    broker = await connect(box.amqp_url, "outbox-test")
    try:
        channel = await broker.connection.channel()
        heard = await channel.declare_queue(exclusive=True)
        await heard.bind(
            PARTITION_EXCHANGE, arguments={"x-match": "all", PARTITION_HEADER: str(partition)}
        )
        relay = OutboxRelay(service="outbox-test", pool=outbox_schema, broker=broker, batch_size=10)
        assert await relay.publish_batch() == 3

        async def a_message():
            return await heard.get(fail=False)

        message = await wait_until(a_message, what="the partition's message")
        assert message.headers[PARTITION_HEADER] == str(partition)
        ids = [event.id for event in events_in(message.body, message.content_type)]
        assert ids == [first.id, second.id]
    finally:
        await broker.connection.close()
