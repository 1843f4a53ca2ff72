"""The reads the operators' console makes, against the running services: a hub's days, what a
delivery was allocated to, the queue with its estimates at any depth."""

import json
from datetime import date, timedelta

import asyncpg
import pytest
from aio_pika.abc import AbstractRobustConnection

from tests.support.bus import publish_event
from tests.support.events import SKU, order_id, placed, supply
from tools.client import ApiError, HubClient, new_hub_code, wait_until

BUYER = {"name": "Dinas Kesehatan Kapuas", "type": "agency", "region": "Kuala Kapuas"}


async def refusal(call) -> ApiError:
    with pytest.raises(ApiError) as refused:
        await call
    return refused.value


def fields(error: ApiError) -> dict[str, str]:
    return {item["field"]: item["code"] for item in error.body.get("errors", [])}


async def get(client: HubClient, service: str, path: str, **headers) -> dict:
    return await client.call(service, "GET", path, headers=headers or None)


async def queue_of_length(client: HubClient, hub: str, length: int) -> dict | None:
    queue = await client.queue(hub, SKU)
    return queue if queue["waiting"] == length else None


# The hub's days (allocator)


async def test_days_are_the_stored_summaries_and_today_so_far(
    client: HubClient, amqp: AbstractRobustConnection, database: asyncpg.Connection
):
    hub = new_hub_code()
    # Two buyers wait; one of them is served part of an order today.
    first, second = placed(hub, 10), placed(hub, 4, minutes=1)
    for event in (first, second, supply(hub, 6)):
        await publish_event(amqp, event)
    await wait_until(lambda: queue_of_length(client, hub, 2), what="two orders waiting")
    today = (await get(client, "allocator", f"/v1/hubs/{hub}/days"))["days"][-1]["day"]
    today = date.fromisoformat(today)
    older = today - timedelta(days=3)
    await database.execute(
        "INSERT INTO allocator.day_summaries (hub, sku, day, summary)"
        " VALUES ($1, $2, $3, $4::jsonb)",
        hub,
        SKU,
        older,
        json.dumps(
            {
                "day": older.isoformat(),
                "timezone": "Asia/Jakarta",
                "sku": SKU,
                **dict.fromkeys(["received", "allocated", "fulfilled", "expired"], 7),
                **dict.fromkeys(["waiting_units", "waiting_orders", "buyers_unserved"], 3),
            }
        ),
    )

    answer = await get(
        client, "allocator", f"/v1/hubs/{hub}/days?from={today - timedelta(days=5)}&to={today}"
    )

    assert answer["hub"] == hub and answer["timezone"] == "Asia/Jakarta"
    days = {row["day"]: row for row in answer["days"]}
    assert days[older.isoformat()]["final"] is True and days[older.isoformat()]["received"] == 7
    so_far = days[today.isoformat()]
    assert so_far == {
        "day": today.isoformat(),
        "sku": SKU,
        "received": 6,
        "allocated": 6,
        "fulfilled": 0,
        "expired": 0,
        "waiting_units": 8,  # 4 of the first order, 4 of the second
        "waiting_orders": 2,
        "buyers_unserved": 1,  # the second buyer: the first got units today
        "final": False,
    }
    # No summary four or five days ago (the product was not there): no row.
    assert not {(today - timedelta(days=n)).isoformat() for n in (4, 5)} & days.keys()
    assert [row["day"] for row in answer["days"]] == sorted(row["day"] for row in answer["days"])


async def test_days_of_one_product_and_of_a_range_long_ago(client: HubClient):
    hub = new_hub_code()
    empty = await get(client, "allocator", f"/v1/hubs/{hub}/days?sku={SKU}")
    assert empty["days"] == []  # a product the allocator never saw has no days
    past = await get(
        client, "allocator", f"/v1/hubs/{hub}/days?from=2025-01-01&to=2025-04-02&sku={SKU}"
    )
    assert past["days"] == []  # 92 days, the most that may be asked


async def test_days_refuse_a_range_backwards_too_long_or_not_dates(client: HubClient):
    hub = new_hub_code()
    days = f"/v1/hubs/{hub}/days"
    backwards = await refusal(get(client, "allocator", f"{days}?from=2026-03-02&to=2026-03-01"))
    too_long = await refusal(get(client, "allocator", f"{days}?from=2026-01-01&to=2026-04-03"))
    not_a_date = await refusal(get(client, "allocator", f"{days}?from=yesterday"))
    bad_hub = await refusal(get(client, "allocator", "/v1/hubs/Not_A_Code/days"))

    assert backwards.status == too_long.status == not_a_date.status == bad_hub.status == 422
    assert fields(backwards) == {"to": "range_reversed"}
    assert fields(too_long) == {"to": "range_too_long"}
    assert "from" in fields(not_a_date)
    assert "hub" in fields(bad_hub)


# What a delivery gave (allocator)


async def test_a_delivery_shows_what_it_was_allocated_to(
    client: HubClient, amqp: AbstractRobustConnection
):
    hub = new_hub_code()
    first, second = placed(hub, 10, priority_class="agency"), placed(hub, 10, minutes=1)
    lot = supply(hub, 15)
    unknown = await refusal(
        get(client, "allocator", f"/v1/deliveries/{lot.payload['delivery_id']}/allocations")
    )
    for event in (first, second, lot):
        await publish_event(amqp, event)

    async def given() -> dict | None:
        path = f"/v1/deliveries/{lot.payload['delivery_id']}/allocations"
        try:
            answer = await get(client, "allocator", path)
        except ApiError:
            return None
        return answer if answer["allocated"] == 15 else None

    answer = await wait_until(given, what="the delivery's allocations")

    assert unknown.status == 404 and unknown.body["type"] == "/problems/delivery-unknown"
    assert (answer["hub"], answer["sku"], answer["accepted"], answer["available"]) == (
        hub,
        SKU,
        15,
        0,
    )
    assert answer["producer_id"] == str(lot.payload["producer_id"])
    assert [
        (row["order_id"], row["units"], row["priority_class"], row["rule"], row["status"])
        for row in answer["allocations"]
    ] == [
        (order_id(first), 10, "agency", "fifo", "held"),
        (order_id(second), 5, "public", "fifo", "held"),
    ]
    not_an_id = await refusal(get(client, "allocator", "/v1/deliveries/nope/allocations"))
    assert not_an_id.status == 404


async def test_the_counter_sees_the_allocation_a_delivery_caused(client: HubClient, hub: str):
    """Through intake, as the console's counter page does: record, then ask the allocator."""
    order = await client.place_order(hub, SKU, 5, BUYER)
    producer = await client.register_producer(
        hub, name="Ibu Siti", phone="081234567890", regency="Kapuas"
    )
    delivery = await client.record_delivery(hub, producer["id"], SKU, 8)

    async def caused() -> dict | None:
        try:
            return await get(client, "allocator", f"/v1/deliveries/{delivery['id']}/allocations")
        except ApiError as error:
            assert error.status == 404  # not taken in yet
            return None

    answer = await wait_until(caused, what="the allocation the delivery caused")
    assert [(row["order_id"], row["units"]) for row in answer["allocations"]] == [(order["id"], 5)]
    assert (answer["allocated"], answer["available"]) == (5, 3)


# The queue, deep and with estimates (allocator)


async def test_queue_pages_anywhere_in_a_long_queue_agree_with_the_whole_queue(
    client: HubClient, amqp: AbstractRobustConnection
):
    hub = new_hub_code()
    await publish_event(amqp, supply(hub, 1))  # the week's supply, for the estimates
    # Spread over a day and a half, so pages start inside and across hours, in two classes.
    orders = [
        placed(
            hub,
            1 + n % 4,
            minutes=7 * n,
            priority_class="agency" if n % 5 == 0 else "public",
        )
        for n in range(120)
    ]
    for event in orders:
        await publish_event(amqp, event)
    await wait_until(
        lambda: queue_of_length(client, hub, 119), what="the queue after the first is served"
    )
    whole = (await client.queue(hub, SKU))["orders"]
    # Units ahead: every order before it in the queue (classes in order), counted here.
    running = 0
    for row in whole:
        assert row["units_ahead"] == running, row
        running += row["quantity"] - row["allocated"] - row["forfeited"]
    assert [row["position"] for row in whole] == list(range(1, 120))
    assert whole[0]["priority_class"] == "agency" and whole[-1]["priority_class"] == "public"

    for offset in (0, 5, 23, 24, 60, 101, 118):
        path = f"/v1/hubs/{hub}/products/{SKU}/queue?limit=9&offset={offset}"
        page = await get(client, "allocator", path)
        assert page["waiting"] == 119
        assert page["orders"] == whole[offset : offset + 9], offset
    beyond = await get(client, "allocator", f"/v1/hubs/{hub}/products/{SKU}/queue?offset=500")
    assert beyond["orders"] == []

    for row in (whole[0], whole[30], whole[-1]):
        standing = await client.standing(row["order_id"])
        assert (row["position"], row["units_ahead"]) == (
            standing["position"],
            standing["units_ahead"],
        )
        assert row["estimated_date"] == standing["estimated_date"] is not None
