"""Holds for pickup, hand-over and expiry, where an order stands, and each hub's day: the
running allocator, the orders service and the notifier together."""

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import asyncpg
from aio_pika.abc import AbstractRobustConnection

from services.allocator.handlers import day_close
from services.allocator.rules import days
from services.allocator.store.hubs import zone_of
from services.allocator.store.unit_of_work import UnitOfWork
from shared.db import create_pool
from shared.events import Envelope
from tests.support.bus import EventTap, publish_event
from tests.support.events import SKU, fulfilled, order_id, placed, supply
from tests.support.provider_stubs import WhatsAppCloudStub
from tools.client import ApiError, HubClient, new_hub_code, wait_until

BUYER = {"name": "Puskesmas Pahandut", "type": "health_facility", "region": "Palangka Raya"}


async def test_units_not_collected_in_time_expire_and_go_to_the_next_in_line(
    client: HubClient, amqp: AbstractRobustConnection, tap: EventTap
):
    hub = new_hub_code()
    await client.set_policy(hub, SKU, hold_seconds=1)
    first, second = placed(hub, 10), placed(hub, 10, minutes=1)
    await publish_event(amqp, first)
    await publish_event(amqp, supply(hub, 10))
    given = await tap.wait_for(
        lambda e: e.type == "order.allocated" and e.payload["order_id"] == order_id(first),
        what="first order allocated",
    )
    await publish_event(amqp, second)

    expired = await tap.wait_for(
        lambda e: e.type == "order.expired" and e.payload["order_id"] == order_id(first),
        what="first order's hold expired",
    )
    assert expired.payload["quantity"] == 10
    assert expired.payload["hold_until"] == given.payload["hold_until"]
    assert expired.payload["lots"] == given.payload["lots"]
    await tap.wait_for(
        lambda e: e.type == "order.allocated" and e.payload["order_id"] == order_id(second),
        what="second order served from the expired units",
    )
    standing = await client.standing(order_id(first))
    assert (standing["state"], standing["allocated"], standing["forfeited"]) == ("filled", 0, 10)
    # One grant, from the public's reserve (the default's) and what nobody else wanted.
    assert [line["rule"] for line in standing["explanation"]] == ["reserve:fifo", "expired"]


async def test_handed_over_units_never_expire(
    client: HubClient, amqp: AbstractRobustConnection, tap: EventTap, database: asyncpg.Connection
):
    """A long hold, so the hand-over comes within it however busy the machine; then both holds
    are moved into the past (as time would pass), the handed-over order's and an uncollected
    one's. The uncollected one expiring shows the allocator's clock went over the product after
    the move; the handed-over one did not expire with it."""
    hub = new_hub_code()
    await client.set_policy(hub, SKU, hold_seconds=3600)
    order, uncollected = placed(hub, 10), placed(hub, 5, minutes=1)
    for event in (order, supply(hub, 10), uncollected, supply(hub, 5)):
        await publish_event(amqp, event)
    for each in (order, uncollected):
        await tap.wait_for(
            lambda e, each=each: (
                e.type == "order.allocated" and e.payload["order_id"] == order_id(each)
            ),
            what="allocated",
        )

    await publish_event(amqp, fulfilled(order, 10))
    state = "SELECT state FROM allocator.allocations WHERE order_id = $1"

    async def handed_over():
        return await database.fetchval(state, order.payload["order_id"]) == "fulfilled"

    await wait_until(handed_over, what="allocation fulfilled")
    await database.execute(
        "UPDATE allocator.allocations SET hold_until = now() - interval '1 second'"
        " WHERE order_id = ANY($1::uuid[])",
        [order.payload["order_id"], uncollected.payload["order_id"]],
    )
    await tap.wait_for(
        lambda e: e.type == "order.expired" and e.payload["order_id"] == order_id(uncollected),
        what="the uncollected order's hold expired",
    )
    assert not [
        e
        for e in tap.of_hub(hub)
        if e.type == "order.expired" and e.payload["order_id"] == order_id(order)
    ]
    assert await database.fetchval(state, order.payload["order_id"]) == "fulfilled"


async def test_the_whole_story_over_http_place_deliver_hand_over_and_expire(
    client: HubClient, tap: EventTap, database: asyncpg.Connection
):
    """A clinic's order is served and handed over; a second order's units expire and the
    orders service shows it, with the allocator's plain-words explanation. The holds are
    long, so the hand-over comes within one however busy the machine; the citizen's then
    ends as time would end it (moved into the past)."""
    hub = new_hub_code()
    await client.open_hub(hub)
    await client.set_policy(hub, SKU, hold_seconds=3600)
    producer = await client.register_producer(
        hub, name="Ibu Siti", phone="081234567890", regency="Kapuas"
    )
    clinic = await client.place_order(hub, SKU, 10, BUYER)
    citizen = await client.place_order(
        hub, SKU, 5, {"name": "Pak Budi", "type": "individual", "region": "Sampit"}
    )
    await client.record_delivery(hub, producer["id"], SKU, 15, 0)

    async def served(order, status):
        answer = await client.order(order["id"])
        return answer if answer["status"] == status else None

    await wait_until(lambda: served(clinic, "allocated"), what="clinic allocated")
    await wait_until(lambda: served(citizen, "allocated"), what="citizen allocated")
    handed = await client.fulfil(clinic["id"])
    assert (handed["status"], handed["fulfilled"]) == ("fulfilled", 10)
    await database.execute(
        "UPDATE allocator.allocations SET hold_until = now() - interval '1 second'"
        " WHERE order_id = $1",
        uuid.UUID(citizen["id"]),
    )
    shown = await wait_until(lambda: served(citizen, "expired"), what="citizen's units expired")

    assert (shown["allocated"], shown["expired"], shown["waiting"]) == (0, 5, 0)
    # The citizen's 5 came from the public's reserve, the default's 40% of the 15 delivered.
    assert [line["rule"] for line in shown["explanation"]] == ["reserve:fifo", "expired"]
    assert "tidak diambil sebelum" in shown["explanation"][1]["id"]
    assert (await client.order(clinic["id"]))["status"] == "fulfilled"
    assert (await client.stock(hub, SKU))["available"] == 5  # back on the shelf for the next


async def test_a_waiting_order_shows_its_place_units_ahead_and_estimated_date(
    client: HubClient, amqp: AbstractRobustConnection, tap: EventTap
):
    hub = new_hub_code()
    # Last week brought 70 units (10 a day); they went to the first order.
    first = placed(hub, 70)
    await publish_event(amqp, first)
    await publish_event(amqp, supply(hub, 70))
    clinic = placed(hub, 25, minutes=1, priority_class="health")
    citizen = placed(hub, 30, minutes=2)
    await publish_event(amqp, citizen)
    await publish_event(amqp, clinic)

    queued = await tap.wait_for(
        lambda e: e.type == "order.queued" and e.payload["order_id"] == order_id(citizen),
        what="citizen queued",
    )
    citizen_now = await wait_until(
        lambda: _standing_with(client, citizen, position=2), what="the clinic ahead"
    )

    # The clinic (health) goes first; the citizen waits behind its 25 units. At 10 a day, with
    # 70 received today already, the 55 units are 6 days away.
    assert citizen_now["units_ahead"] == 25
    today = _today_in_jakarta()
    assert citizen_now["estimated_date"] == (today + timedelta(days=6)).isoformat()
    assert queued.payload["estimated_date"] is not None
    line = citizen_now["explanation"][-1]
    assert line["rule"] == "waiting" and "urutan ke-2" in line["id"]
    assert "number 2" in line["en"]


async def test_a_hub_in_another_time_zone_keeps_its_own_day_and_times(
    client: HubClient, database: asyncpg.Connection
):
    hub = new_hub_code()
    await client.create_hub(hub, "PLUT Sulawesi Selatan", timezone="Asia/Makassar")

    async def known():
        return (
            await database.fetchval("SELECT timezone FROM allocator.hubs WHERE hub = $1", hub)
            == "Asia/Makassar"
        )

    await wait_until(known, what="the allocator to learn the hub's zone")


async def test_a_day_is_summarised_once_with_what_happened_in_the_hubs_day(
    client: HubClient, amqp: AbstractRobustConnection, tap: EventTap, box
):
    hub = new_hub_code()
    orders = [placed(hub, 30, buyer_key="bank"), placed(hub, 30, minutes=1), placed(hub, 40)]
    for order in orders:
        await publish_event(amqp, order)
    await publish_event(amqp, supply(hub, 50))
    await wait_until(lambda: _allocated(client, hub, 50), what="50 allocated")

    pool = await create_pool(box.database_url, "allocator")
    try:
        async with pool.acquire() as conn, conn.transaction():
            today = days.today(await zone_of(conn, hub))
            made, emit = recorder(hub)

            uow = UnitOfWork(conn)
            summary = await day_close.summarise(uow, hub, SKU, today, emit)
            again = await day_close.summarise(uow, hub, SKU, today, emit)
            await uow.flush()
    finally:
        await pool.close()

    assert again is None and len(made) == 1
    assert summary.timezone == "Asia/Jakarta"
    assert (summary.received, summary.allocated, summary.fulfilled, summary.expired) == (
        50,
        50,
        0,
        0,
    )
    assert (summary.waiting_orders, summary.waiting_units) == (2, 50)
    assert summary.buyers_unserved == 1  # the third buyer got nothing today


def recorder(hub: str):
    """An `emit` for the allocator's use cases that keeps what they publish, and that list."""
    made: list[Envelope] = []

    def emit(payload):
        made.append(Envelope.wrap(payload, hub=hub, correlation_id="test-day"))
        return made[-1]

    return made, emit


async def _standing_with(client: HubClient, order, **expected):
    try:
        standing = await client.standing(order_id(order))
    except ApiError as error:
        if error.status == 404:  # not queued yet
            return None
        raise
    return standing if all(standing[k] == v for k, v in expected.items()) else None


async def _allocated(client: HubClient, hub: str, units: int) -> bool:
    return (await client.stock(hub, SKU))["allocated"] == units


def _today_in_jakarta():
    return days.today(ZoneInfo(days.DEFAULT_TIMEZONE))


async def test_at_the_end_of_a_day_buyers_whose_estimate_moved_are_told_once(
    client: HubClient, amqp: AbstractRobustConnection, tap: EventTap, box
):
    hub = new_hub_code()
    order = placed(hub, 100)
    await publish_event(amqp, order)
    queued = await tap.wait_for(
        lambda e: e.type == "order.queued" and e.payload["order_id"] == order_id(order),
        what="queued",
    )
    assert queued.payload["estimated_date"] is None  # no supply yet to go by
    await publish_event(amqp, supply(hub, 14))
    await wait_until(lambda: _allocated(client, hub, 14), what="14 allocated")

    pool = await create_pool(box.database_url, "allocator")
    try:
        made, emit = recorder(hub)

        async with pool.acquire() as conn, conn.transaction():
            uow = UnitOfWork(conn)
            first = await day_close.retell_estimates(uow, hub, SKU, emit)
            await uow.flush()
        async with pool.acquire() as conn, conn.transaction():
            uow = UnitOfWork(conn)
            second = await day_close.retell_estimates(uow, hub, SKU, emit)
            await uow.flush()
    finally:
        await pool.close()

    assert (first, second) == (1, 0)
    (moved,) = [e.read() for e in made]
    # 14 units a week is 2 a day; 14 came today already, so the 86 still owed take 43 days.
    assert moved.previous_date is None
    assert moved.estimated_date == _today_in_jakarta() + timedelta(days=43)
    assert (moved.position, moved.units_ahead) == (1, 0)


async def test_places_hold_across_hours_and_for_an_order_that_arrives_late(
    client: HubClient, amqp: AbstractRobustConnection, tap: EventTap
):
    hub = new_hub_code()
    first, second, third = (
        placed(hub, 10),
        placed(hub, 20, minutes=70),
        placed(hub, 30, minutes=130),
    )
    late = placed(hub, 5, minutes=65)  # placed before `second`, arrives after all three
    for order in (first, second, third):
        await publish_event(amqp, order)
    await wait_until(lambda: _standing_with(client, third, position=3), what="three queued")
    await publish_event(amqp, late)

    queued = await tap.wait_for(
        lambda e: e.type == "order.queued" and e.payload["order_id"] == order_id(late),
        what="the late order queued",
    )
    assert (queued.payload["position"], queued.payload["units_ahead"]) == (2, 10)
    places = [await client.standing(order_id(o)) for o in (first, late, second, third)]
    assert [(s["position"], s["units_ahead"]) for s in places] == [
        (1, 0),
        (2, 10),
        (3, 15),
        (4, 35),
    ]


async def test_an_order_served_at_once_is_allocated_and_its_buyer_told_once(
    client: HubClient, whatsapp: WhatsAppCloudStub
):
    """With stock on hand the allocator serves an order in the transaction that queues it, and
    announces only order.allocated: the orders service shows it allocated (no order.queued came
    first), and the buyer gets one message, taken by the WhatsApp stand-in."""
    hub = new_hub_code()
    await client.open_hub(hub)
    producer = await client.register_producer(
        hub, name="Ibu Siti", phone="081234567890", regency="Kapuas"
    )
    await client.record_delivery(hub, producer["id"], SKU, 15, 0)
    stock = f"/v1/hubs/{hub}/products/{SKU}/stock"

    async def received() -> bool:
        return (await client.call("allocator", "GET", stock))["received"] == 15

    await wait_until(received, what="the delivery's lot at the allocator")
    phone = "+62813" + str(uuid.uuid4().int)[:8]
    buyer = {"name": "Pak Budi", "type": "individual", "region": "Sampit", "phone": phone}
    order = await client.place_order(hub, SKU, 5, buyer)

    async def allocated() -> dict | None:
        answer = await client.order(order["id"])
        return answer if answer["status"] == "allocated" else None

    assert (await wait_until(allocated, what="the order allocated"))["allocated"] == 5

    async def told() -> list[dict] | None:
        messages = await client.messages(order_id=order["id"])
        sent = [m for m in messages if m["template"] == "order_allocated" and m["status"] == "sent"]
        return messages if sent else None

    # The order.queued of the old way was stored with the order.allocated, ahead of it: had it
    # been published, its message would be recorded by the time this one is sent.
    messages = await wait_until(told, what="the buyer told of the allocation")
    assert [m["template"] for m in messages] == ["order_allocated"]
    assert len(whatsapp.to(phone)) == 1
