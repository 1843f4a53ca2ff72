"""The reads the operators' console makes, against the running services: a hub's days, what a
delivery was allocated to, the queue with its estimates at any depth, and at the orders
service, finding orders and reading an order's history."""

import json
import uuid
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from aio_pika.abc import AbstractRobustConnection

from services.allocator.store.days import figures
from tests.support.bus import publish_event
from tests.support.events import SKU, order_id, placed, supply
from tests.support.partner_endpoint import CallbackPartner
from tools.client import ApiError, HubClient, new_hub_code, wait_until
from tools.sandbox import Sandbox

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

    # The orders and the delivery are separate messages: the orders may wait before it comes.
    async def delivery_given() -> dict | None:
        so_far = (await get(client, "allocator", f"/v1/hubs/{hub}/days"))["days"][-1]
        return so_far if so_far["allocated"] == 6 else None

    today = (await wait_until(delivery_given, what="the delivery taken and given"))["day"]
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


async def today_so_far(client: HubClient, hub: str, **expected: int) -> dict:
    async def reached() -> dict | None:
        days = (await get(client, "allocator", f"/v1/hubs/{hub}/days"))["days"]
        row = days[-1] if days else {}
        return row if all(row.get(name) == value for name, value in expected.items()) else None

    return await wait_until(reached, what=f"today's figures {expected}")


async def test_buyers_unserved_follow_buyers_served_leaving_and_coming_back(
    client: HubClient, amqp: AbstractRobustConnection, box: Sandbox
):
    hub = new_hub_code()
    sari, budi = placed(hub, 5, buyer_key="sari"), placed(hub, 5, minutes=1, buyer_key="budi")
    for event in (sari, budi, supply(hub, 2)):
        await publish_event(amqp, event)
    await today_so_far(client, hub, waiting_orders=2, buyers_unserved=1)  # Sari got 2

    await publish_event(amqp, supply(hub, 3))  # Sari's order is filled: she no longer waits
    await today_so_far(client, hub, waiting_orders=1, buyers_unserved=1)  # Budi
    await publish_event(amqp, placed(hub, 1, minutes=2, buyer_key="sari"))  # she is back
    today = await today_so_far(client, hub, waiting_orders=2, buyers_unserved=1)
    await publish_event(amqp, supply(hub, 1))  # Budi gets one
    await today_so_far(client, hub, waiting_orders=2, buyers_unserved=0)

    # A day before the latest day anyone was served is counted buyer by buyer, to the same
    # meaning: yesterday nobody was served, unless the records say so.
    yesterday = date.fromisoformat(today["day"]) - timedelta(days=1)
    conn = await asyncpg.connect(box.database_url, server_settings={"search_path": "allocator"})
    try:
        before = await figures(conn, hub, SKU, yesterday, ZoneInfo("Asia/Jakarta"))
        await conn.execute(
            "INSERT INTO buyer_days (hub, sku, day, buyer_key, units) VALUES ($1, $2, $3, $4, 1)",
            hub,
            SKU,
            yesterday,
            "budi",
        )
        after = await figures(conn, hub, SKU, yesterday, ZoneInfo("Asia/Jakarta"))
        still = await figures(
            conn, hub, SKU, yesterday + timedelta(days=1), ZoneInfo("Asia/Jakarta")
        )
    finally:
        await conn.close()
    assert (before.buyers_unserved, after.buyers_unserved, still.buyers_unserved) == (2, 1, 0)


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
        get(
            client,
            "allocator",
            f"/v1/deliveries/{lot.payload['delivery_id']}/allocations",
            **client.as_operator(),
        )
    )
    for event in (first, second, lot):
        await publish_event(amqp, event)

    async def given() -> dict | None:
        path = f"/v1/deliveries/{lot.payload['delivery_id']}/allocations"
        try:
            answer = await get(client, "allocator", path, **client.as_operator())
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
    ] == [  # by default the public has 40% of every delivery (6 of 15); the agency the rest
        (order_id(first), 9, "agency", "fifo", "held"),
        (order_id(second), 6, "public", "reserve:fifo", "held"),
    ]
    not_an_id = await refusal(
        get(client, "allocator", "/v1/deliveries/nope/allocations", **client.as_operator())
    )
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
            return await get(
                client,
                "allocator",
                f"/v1/deliveries/{delivery['id']}/allocations",
                **client.as_operator(),
            )
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
        page = await get(client, "allocator", path, **client.as_operator())
        assert page["waiting"] == 119
        assert page["orders"] == whole[offset : offset + 9], offset
    beyond = await get(
        client,
        "allocator",
        f"/v1/hubs/{hub}/products/{SKU}/queue?offset=500",
        **client.as_operator(),
    )
    assert beyond["orders"] == []

    for row in (whole[0], whole[30], whole[-1]):
        standing = await client.standing(row["order_id"])
        assert (row["position"], row["units_ahead"]) == (
            standing["position"],
            standing["units_ahead"],
        )
        assert row["estimated_date"] == standing["estimated_date"] is not None


# Finding orders and their history (orders)


def buyer(name: str, phone: str | None = None) -> dict:
    return {"name": name, "type": "individual", "region": "Sampit", "phone": phone}


def some_phone() -> str:
    """A mobile number no other test uses (in the national form)."""
    return "0813" + str(uuid.uuid4().int)[:8]


async def find(client: HubClient, query: str) -> dict:
    return await get(client, "orders", f"/v1/orders?{query}", **client.as_operator())


async def test_orders_are_found_by_id_name_or_phone_newest_first(client: HubClient, hub: str):
    phone = some_phone()
    mark = hub.removeprefix("hub-")  # a name no other test's buyer has
    sumirah = await client.place_order(hub, SKU, 3, buyer(f"Ibu Sumirah {mark}", phone))
    joko = await client.place_order(hub, SKU, 2, buyer(f"Pak Joko {mark}"))
    again = await client.place_order(hub, SKU, 1, buyer(f"Ibu SUMIRAH {mark}"))

    by_name = await find(client, f"q=sumirah%20{mark}")
    assert [o["id"] for o in by_name["orders"]] == [again["id"], sumirah["id"]]  # newest first
    assert (by_name["total"], by_name["total_capped"]) == (2, False)
    assert by_name["orders"][1]["buyer"]["phone"] == "+62" + phone[1:]  # operators see it whole
    assert by_name["orders"][1] == {**sumirah, "buyer": by_name["orders"][1]["buyer"]}
    for written in (
        phone,
        "+62 " + phone[1:],
        "62" + phone[1:],
        phone[4:9],
        phone[:4] + " " + phone[4:8],
    ):
        found = await find(client, f"hub={hub}&q={written.replace('+', '%2B').replace(' ', '%20')}")
        assert [o["id"] for o in found["orders"]] == [sumirah["id"]], written
    for written in (joko["id"], joko["id"][:8], joko["id"][:8].upper()):
        found = await find(client, f"q={written}")
        assert joko["id"] in [o["id"] for o in found["orders"]], written
    assert [o["id"] for o in (await find(client, f"hub={hub}&q={joko['id']}"))["orders"]] == [
        joko["id"]
    ]

    await client.cancel(joko["id"])
    cancelled = await find(client, f"hub={hub}&status=cancelled")
    assert [o["id"] for o in cancelled["orders"]] == [joko["id"]]
    page = await find(client, f"hub={hub}&limit=1&offset=1")
    assert [o["id"] for o in page["orders"]] == [joko["id"]] and page["total"] == 3


async def test_a_page_of_orders_by_their_ids(client: HubClient, hub: str):
    placed_orders = [await client.place_order(hub, SKU, 1, buyer(f"Pembeli {n}")) for n in range(3)]
    ids = [o["id"] for o in placed_orders]

    two = await find(client, f"id={ids[0]}&id={ids[2]}&id={uuid.uuid4()}")
    one = await find(client, f"id={ids[1]}")

    assert [o["id"] for o in two["orders"]] == [ids[2], ids[0]] and two["total"] == 2
    assert [o["buyer"]["name"] for o in one["orders"]] == ["Pembeli 1"]


async def test_finding_orders_is_for_operators_and_checks_what_it_is_given(
    client: HubClient, partner_client: HubClient
):
    too_many = "&".join(f"id={uuid.uuid4()}" for _ in range(101))
    refused = {
        "short": await refusal(find(client, "q=ab")),
        "status": await refusal(find(client, "status=lost")),
        "id": await refusal(find(client, "id=not-a-uuid")),
        "one bad id of two": await refusal(find(client, f"id={uuid.uuid4()}&id=nope")),
        "too many": await refusal(find(client, too_many)),
        "limit": await refusal(find(client, "limit=201")),
    }
    partner = await refusal(
        get(partner_client, "orders", "/v1/orders?q=abc", **partner_client.to_orders())
    )
    nobody = await refusal(get(client, "orders", "/v1/orders?q=abc"))

    assert {name: error.status for name, error in refused.items()} == dict.fromkeys(refused, 422)
    assert fields(refused["short"]) == {"q": "string_too_short"}
    assert "status" in fields(refused["status"])
    assert "id.0" in fields(refused["id"]) and "id.1" in fields(refused["one bad id of two"])
    assert "id" in fields(refused["too many"]) and "limit" in fields(refused["limit"])
    assert partner.status == 403 and partner.body["type"] == "/problems/operator-only"
    assert nobody.status == 401


async def history_of(client: HubClient, order_id: str) -> dict:
    return await get(client, "orders", f"/v1/orders/{order_id}/history", **client.as_operator())


async def history_has(client: HubClient, order_id: str, *kinds: str) -> list[dict]:
    async def reached() -> list[dict] | None:
        events = (await history_of(client, order_id))["events"]
        return events if [event["kind"] for event in events] == list(kinds) else None

    return await wait_until(reached, what=f"history {kinds}")


async def test_an_orders_history_tells_what_happened_to_it(client: HubClient, hub: str):
    kept = await client.place_order(hub, SKU, 6, BUYER)
    dropped = await client.place_order(hub, SKU, 4, BUYER)
    producer = await client.register_producer(
        hub, name="Ibu Siti", phone="081234567890", regency="Kapuas"
    )
    delivery = await client.record_delivery(hub, producer["id"], SKU, 8)
    await history_has(client, dropped["id"], "placed", "allocated")
    await client.fulfil(kept["id"])
    await client.cancel(dropped["id"])

    handed = await history_has(client, kept["id"], "placed", "allocated", "fulfilled")
    gone = await history_has(client, dropped["id"], "placed", "allocated", "cancelled", "released")

    assert [event["units"] for event in handed] == [6, 6, 6]
    assert handed[0]["detail"] == {
        "priority_class": "agency",
        "accept_partial": True,
        "partner_id": None,
    }
    allocated = handed[1]["detail"]
    assert allocated["rule"] == "fifo" and allocated["allocated_total"] == 6
    assert allocated["lots"] == [
        {"delivery_id": delivery["id"], "producer_id": producer["id"], "quantity": 6}
    ]
    assert handed[2]["detail"] == {"fulfilled_total": 6}
    assert [event["units"] for event in gone] == [4, 2, None, 2]
    assert gone[2]["detail"] == {"by": "operator", "partner_id": None}
    assert [event["at"] for event in gone] == sorted(event["at"] for event in gone)


async def test_expired_holds_are_in_the_history(client: HubClient, hub: str):
    await client.set_policy(hub, SKU, hold_seconds=1)
    order = await client.place_order(hub, SKU, 3, BUYER)
    producer = await client.register_producer(
        hub, name="Ibu Siti", phone="081234567890", regency="Kapuas"
    )
    await client.record_delivery(hub, producer["id"], SKU, 3)

    events = await history_has(client, order["id"], "placed", "allocated", "expired")
    assert events[2]["units"] == 3 and events[2]["detail"]["hold_until"]


async def test_a_partners_callbacks_are_in_the_history(
    client: HubClient, hub: str, partners_called_back
):
    bank: CallbackPartner = await partners_called_back()
    order = await bank.client.place_order(hub, SKU, 2, BUYER)
    producer = await client.register_producer(
        hub, name="Ibu Siti", phone="081234567890", regency="Kapuas"
    )
    await client.record_delivery(hub, producer["id"], SKU, 2)
    await bank.endpoint.wait_for(1, order["id"])

    events = await history_has(client, order["id"], "placed", "allocated", "callback_sent")
    assert events[0]["detail"]["partner_id"] == bank.id
    sent = events[2]["detail"]
    assert (sent["previous_status"], sent["status"], sent["http_status"]) == (
        "queued",
        "allocated",
        204,
    )


async def test_history_is_for_operators_and_of_orders_that_exist(
    client: HubClient, partner_client: HubClient
):
    unknown = await refusal(history_of(client, str(uuid.uuid4())))
    not_an_id = await refusal(history_of(client, "nope"))
    path = f"/v1/orders/{uuid.uuid4()}/history"
    partner = await refusal(get(partner_client, "orders", path, **partner_client.to_orders()))
    nobody = await refusal(get(client, "orders", path))

    assert unknown.status == not_an_id.status == 404
    assert partner.status == 403 and nobody.status == 401
