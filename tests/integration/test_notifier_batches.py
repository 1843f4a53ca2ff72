"""The notifier's consumer holds a batch's writes and makes them a statement per kind at its end.
What it must still do as when each event was written in turn: a product or hub learned in the
batch names the messages after it, a duplicate counts once, the last word on a person stands, a
summary counts what its own batch added, and a bad event is parked alone.

Batches are handed to the handlers the way the consumer does (`handle_new`, in one
transaction), so each test says what one batch holds; the bad event goes through the consumer
and the broker."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from services.notifier.consumers import handlers
from shared.bus import connect
from shared.consumer import Consumer, Event, handle_new
from shared.db import create_pool, migrate, service_migrations
from shared.events import (
    Envelope,
    HubRegistered,
    OrderQueued,
    ProducerRegistered,
    ProducerUpdated,
    ProductListed,
)
from tests.support.bus import dead_letters, publish_event
from tests.support.events import HOLD_UNTIL, SKU, allocation_of, placed, supply, todays_summary
from tools.client import wait_until
from tools.sandbox import sandbox

MIGRATIONS = Path(__file__).parents[2] / "services" / "notifier" / "migrations"
HUB = "batch-hub"
ALLOCATED = "SELECT count(*) FROM messages WHERE template = 'order_allocated'"
OF_EVENT = "SELECT count(*) FROM messages WHERE event_id = $1"
MAKER = uuid.UUID(int=7, version=4)


@asynccontextmanager
async def notifier_sandbox() -> AsyncIterator[tuple]:
    """The notifier's schema in a sandbox of its own, and its pool."""
    async with sandbox("plut_notifier_batches") as box:
        pool = await create_pool(box.database_url, "notifier")
        try:
            async with pool.acquire() as conn:
                await migrate(conn, "notifier", service_migrations(MIGRATIONS))
            yield box, pool
        finally:
            await pool.close()


async def handled(pool: asyncpg.Pool, *events: Envelope) -> None:
    """One batch, as the consumer hands it over: in one transaction, after the inbox."""
    async with pool.acquire() as conn, conn.transaction():
        await handle_new(conn, [Event(e, e.read()) for e in events], handlers.handle_batch)


def queued(order: Envelope) -> Envelope:
    return order.follow(
        OrderQueued(
            order_id=order.payload["order_id"],
            sku=SKU,
            quantity=order.payload["quantity"],
            priority_class="public",
            position=1,
            units_ahead=0,
            estimated_date=None,
        )
    )


def event(payload, correlation_id: str = "test-batch") -> Envelope:
    return Envelope.wrap(payload, hub=HUB, correlation_id=correlation_id)


async def params(pool: asyncpg.Pool, template: str) -> list[dict]:
    rows = await pool.fetch(
        "SELECT params FROM messages WHERE template = $1 ORDER BY created_at, id", template
    )
    return [row["params"] for row in rows]


async def day_of(pool: asyncpg.Pool, producer_id: uuid.UUID = MAKER) -> asyncpg.Record:
    return await pool.fetchrow(
        "SELECT * FROM producer_days WHERE hub = $1 AND producer_id = $2", HUB, producer_id
    )


async def test_a_product_and_hub_learned_in_a_batch_name_the_messages_after_them():
    order = placed(HUB, 3)
    listed = ProductListed(product_id=uuid.uuid4(), sku=SKU, name="Masker kain", unit_price=5000)
    async with notifier_sandbox() as (_, pool):
        await handled(
            pool,
            order,
            queued(order),  # before the listing: goes by the code
            event(HubRegistered(name="PLUT Kalimantan Tengah", timezone="Asia/Makassar")),
            event(listed),
            allocation_of(order, 3, MAKER, HOLD_UNTIL),
        )

        [received] = await params(pool, "order_received")
        [allocated] = await params(pool, "order_allocated")
        [sold] = await params(pool, "units_sold")
        assert received["product"] == SKU
        assert allocated["product"] == sold["product"] == "Masker kain"
        assert allocated["pickup"] == "PLUT Kalimantan Tengah"
        assert allocated["hold_until_id"].endswith("15.00 WITA")  # the hub's zone, not WIB
        assert (sold["unit_price_rupiah"], sold["earned_rupiah"]) == (5000, 15000)
        day = await day_of(pool)
        assert (day["sold"], day["earned"]) == (3, 15000)
        assert await pool.fetchval("SELECT count(*) FROM recipients") == 1


async def test_duplicates_in_a_batch_count_once_and_a_producers_day_adds_up():
    first, second = placed(HUB, 4), placed(HUB, 2)
    lot = supply(HUB, 10, rejected=1, producer_id=MAKER)
    async with notifier_sandbox() as (_, pool):
        given = allocation_of(first, 4, MAKER, HOLD_UNTIL)
        also_given = allocation_of(second, 2, MAKER, HOLD_UNTIL)
        await handled(pool, lot, given, lot, also_given, given)
        # Again, redelivered in later batches: the sale that keys the maker's message, and one
        # added to it (the inbox skips both).
        await handled(pool, given, lot)
        await handled(pool, also_given)

        counts = await pool.fetch(
            "SELECT template, count(*) FROM messages GROUP BY template ORDER BY template"
        )
        assert [tuple(row) for row in counts] == [
            ("delivery_recorded", 1),
            ("order_allocated", 2),
            ("units_sold", 1),  # the batch's two sales of the maker's units, told as one
        ]
        [sold] = await params(pool, "units_sold")
        assert (sold["quantity"], sold["earned_rupiah"]) == (6, 0)  # no price listed
        day = await day_of(pool)
        assert (day["delivered"], day["accepted"], day["rejected"], day["sold"]) == (11, 10, 1, 6)


async def test_the_last_word_on_a_person_in_a_batch_stands():
    registered = ProducerRegistered(
        producer_id=MAKER, name="Ibu Wati", regency="Kapuas", phone="+6281211112222"
    )
    updated = ProducerUpdated(
        producer_id=MAKER,
        name="Ibu Wati Rahayu",
        regency="Kapuas",
        phone="+6281233334444",
        email="Wati@Example.com",
        language="en",
        channel="email",
        updated_at=datetime.now(UTC),
    )
    async with notifier_sandbox() as (_, pool):
        await handled(pool, event(registered), event(updated))

        person = await pool.fetchrow("SELECT * FROM recipients WHERE key = $1", f"producer:{MAKER}")
        assert (person["name"], person["phone"], person["email"]) == (
            "Ibu Wati Rahayu",
            "+6281233334444",
            "wati@example.com",
        )
        assert (person["language"], person["channel"]) == ("en", "email")


async def test_a_summary_counts_what_its_own_batch_added():
    order = placed(HUB, 5)
    summary = todays_summary(received=20, allocated=5)
    async with notifier_sandbox() as (_, pool):
        await handled(
            pool,
            supply(HUB, 20, producer_id=MAKER),
            allocation_of(order, 5, MAKER, HOLD_UNTIL),
            event(summary),
        )

        [told] = await params(pool, "daily_summary")
        assert (told["delivered"], told["accepted"], told["sold"]) == (20, 20, 5)


async def test_a_bad_event_in_a_batch_is_parked_alone_and_the_rest_are_told():
    """An allocation of 2,147,483,648 units cannot be counted in the producer's day (its
    column's range): the batch that holds it fails when written, is split, and that event
    alone is parked; every other message of the batch is recorded once."""
    orders = [placed(HUB, 2) for _ in range(12)]
    bad = allocation_of(placed(HUB, 1), 2**31, MAKER, HOLD_UNTIL)
    async with notifier_sandbox() as (box, pool):
        broker = await connect(box.amqp_url, "test")
        consumer = Consumer(
            service="notifier",
            pool=pool,
            broker=broker,
            handlers=handlers,
            prefetch_count=100,
            batch_size=50,
            retry_delay=0.01,
        )
        try:
            good = [allocation_of(order, 2, MAKER, HOLD_UNTIL) for order in orders]
            for published in [*good[:6], bad, *good[6:]]:
                await publish_event(broker.connection, published)
            await consumer.start()

            parked = await wait_until(
                lambda: dead_letters(broker.connection, "notifier"), what="the bad event parked"
            )

            async def all_told() -> bool:
                return await pool.fetchval(ALLOCATED) == len(good)

            await wait_until(all_told, what="every good allocation told")
            assert [message.message_id for message in parked] == [str(bad.id)]
            assert "out of int32 range" in parked[0].headers["x-error"]
            assert await pool.fetchval(OF_EVENT, bad.id) == 0
            assert (await day_of(pool))["sold"] == 2 * len(good)
        finally:
            await consumer.stop()
            await broker.connection.close()
