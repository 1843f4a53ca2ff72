"""The allocator as a running process, driven by events on the bus as intake and orders send
them: duplicates, reordering, cancellations, and events it cannot read."""

import json

from aio_pika.abc import AbstractRobustConnection

from shared.events import Envelope
from tests.support.bus import EventTap, dead_letters, publish_event, publish_raw
from tests.support.events import SKU, cancelled, order_id, placed, supply
from tools.client import HubClient, new_hub_code, wait_until


async def stock_is(client: HubClient, hub: str, **expected: int) -> dict:
    async def matches():
        stock = await client.stock(hub, SKU)
        return stock if all(stock[key] == value for key, value in expected.items()) else None

    return await wait_until(matches, what=f"stock {expected}")


def allocated_to(tap: EventTap, order: Envelope) -> int:
    return sum(
        e.payload["quantity"]
        for e in tap.events
        if e.type == "order.allocated" and e.payload["order_id"] == order_id(order)
    )


async def announced(tap: EventTap, order: Envelope, units: int) -> None:
    """Wait until the allocations announced for `order` add up to `units`."""

    async def reached() -> bool:
        return allocated_to(tap, order) >= units

    await wait_until(reached, what=f"{units} units announced")
    assert allocated_to(tap, order) == units


async def test_supply_goes_to_the_queue_in_order(
    client: HubClient, amqp: AbstractRobustConnection, tap: EventTap
):
    hub = new_hub_code()
    first, second, third = placed(hub, 30), placed(hub, 40, minutes=1), placed(hub, 50, minutes=2)
    for order in (third, first, second):  # arrival order does not decide; placement does
        await publish_event(amqp, order)
    queue = await wait_until(lambda: _queue_of_length(client, hub, 3), what="three orders queued")
    assert [o["order_id"] for o in queue["orders"]] == [order_id(o) for o in (first, second, third)]
    assert [o["position"] for o in queue["orders"]] == [1, 2, 3]

    lot = supply(hub, 45)
    await publish_event(amqp, lot)

    await stock_is(client, hub, received=45, allocated=45, available=0)
    queue = await client.queue(hub, SKU)
    assert [(o["order_id"], o["allocated"]) for o in queue["orders"]] == [
        (order_id(second), 15),
        (order_id(third), 0),
    ]
    given = await tap.wait_for(
        lambda e: e.type == "order.allocated" and e.payload["order_id"] == order_id(second),
        what="allocation to the second order",
    )
    assert given.payload["lots"] == [
        {
            "delivery_id": str(lot.payload["delivery_id"]),
            "producer_id": str(lot.payload["producer_id"]),
            "quantity": 15,
        }
    ]
    assert given.causation_id == lot.id and given.correlation_id == lot.correlation_id


async def _queue_of_length(client: HubClient, hub: str, length: int) -> dict | None:
    queue = await client.queue(hub, SKU)
    return queue if queue["waiting"] == length else None


async def test_the_same_event_twice_changes_nothing_the_second_time(
    client: HubClient, amqp: AbstractRobustConnection, tap: EventTap
):
    hub = new_hub_code()
    order, lot = placed(hub, 100), supply(hub, 30)
    for event in (order, order, lot, lot):
        await publish_event(amqp, event)
    await stock_is(client, hub, received=30, allocated=30)

    # Anything the duplicates did would show before a later event's effect does.
    await publish_event(amqp, supply(hub, 5))
    await stock_is(client, hub, received=35, allocated=35)
    assert (await client.queue(hub, SKU))["waiting"] == 1
    await announced(tap, order, 35)
    assert len([e for e in tap.of_hub(hub) if e.type == "order.queued"]) == 1


async def test_a_cancel_that_overtakes_its_order_keeps_it_out_of_the_queue(
    client: HubClient, amqp: AbstractRobustConnection, tap: EventTap
):
    hub = new_hub_code()
    order = placed(hub, 20)
    await publish_event(amqp, cancelled(order))
    await publish_event(amqp, order)
    await publish_event(amqp, supply(hub, 10))

    await stock_is(client, hub, received=10, allocated=0, available=10)
    assert (await client.queue(hub, SKU))["waiting"] == 0
    from_allocator = {"order.queued", "order.allocated", "order.released"}
    assert not [e for e in tap.of_hub(hub) if e.type in from_allocator]


async def test_cancelled_units_go_to_the_next_in_line(
    client: HubClient, amqp: AbstractRobustConnection, tap: EventTap
):
    hub = new_hub_code()
    first, second = placed(hub, 10), placed(hub, 10, minutes=1)
    await publish_event(amqp, first)
    await publish_event(amqp, second)
    lot = supply(hub, 10)
    await publish_event(amqp, lot)
    await stock_is(client, hub, allocated=10)
    await announced(tap, first, 10)

    await publish_event(amqp, cancelled(first))

    released = await tap.wait_for(
        lambda e: e.type == "order.released" and e.payload["order_id"] == order_id(first),
        what="order.released",
    )
    assert released.payload["quantity"] == 10
    await tap.wait_for(
        lambda e: e.type == "order.allocated" and e.payload["order_id"] == order_id(second),
        what="the units going to the second order",
    )
    await stock_is(client, hub, received=10, allocated=10, available=0)
    assert (await client.queue(hub, SKU))["waiting"] == 0


async def test_queue_pages(client: HubClient, amqp: AbstractRobustConnection):
    hub = new_hub_code()
    orders = [placed(hub, 1, minutes=minute) for minute in range(5)]
    for order in orders:
        await publish_event(amqp, order)
    await wait_until(lambda: _queue_of_length(client, hub, 5), what="five orders queued")

    path = f"/v1/hubs/{hub}/products/{SKU}/queue?limit=2&offset=2"
    page = await client.call("allocator", "GET", path, headers=client.as_operator())

    assert [o["position"] for o in page["orders"]] == [3, 4]
    assert [o["order_id"] for o in page["orders"]] == [order_id(o) for o in orders[2:4]]
    assert page["waiting"] == 5


async def test_unreadable_events_are_dead_lettered_with_the_reason(
    client: HubClient, amqp: AbstractRobustConnection
):
    hub = new_hub_code()
    unknown_version = placed(hub, 5).model_copy(update={"version": 99})
    await publish_raw(amqp, b"not json at all", "supply.received", message_id="garbage-1")
    await publish_raw(
        amqp, unknown_version.model_dump_json().encode(), "order.placed", str(unknown_version.id)
    )
    missing_field = json.loads(supply(hub, 5).model_dump_json())
    del missing_field["payload"]["accepted"]
    await publish_raw(amqp, json.dumps(missing_field).encode(), "supply.received", "garbage-2")

    # The consumer goes on: a good event after them is handled.
    await publish_event(amqp, supply(hub, 7))
    await stock_is(client, hub, received=7)

    reasons = {}

    async def parked():
        for message in await dead_letters(amqp, "allocator"):
            reasons[message.message_id] = message.headers["x-error"]
        return len({"garbage-1", "garbage-2", str(unknown_version.id)} & set(reasons)) == 3

    await wait_until(parked, what="three dead letters")
    assert "unreadable event" in reasons["garbage-1"]
    assert "accepted" in reasons["garbage-2"]
    assert "version 99" in reasons[str(unknown_version.id)]
