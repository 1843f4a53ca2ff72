"""Intake over HTTP, as a running process: what it records, what it announces, what it refuses."""

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from aio_pika.abc import AbstractRobustConnection

from shared.events import Envelope, LotShare, OrderAllocated, OrderExpired
from tests.support.bus import EventTap, publish_event
from tests.support.refusals import (
    BadRequest,
    assert_no_event_since,
    assert_refused,
    row_counts,
    send,
    unknown_id,
)
from tools.client import ApiError, HubClient, new_hub_code, wait_until

PHONE = "081234567890"
SKU = "masker-kain"


async def add_producer(client: HubClient, hub: str, phone: str = PHONE, **extra) -> dict:
    fields = {"name": "Ibu Sari", "phone": phone, "regency": "Kapuas", **extra}
    return await client.register_producer(hub, **fields)


async def test_delivery_is_recorded_and_announced(client: HubClient, hub: str, tap: EventTap):
    producer = await add_producer(client, hub, email="sari@contoh.id")
    assert producer["phone"] == "+6281234567890"

    delivery = await client.record_delivery(hub, producer["id"], "masker-kain", 50, rejected=4)

    assert delivery["accepted"] == 46
    assert await client.delivery(delivery["id"]) == delivery
    event = await tap.wait_for(
        lambda e: e.type == "supply.received" and e.payload["delivery_id"] == delivery["id"],
        what="supply.received",
    )
    assert event.hub == hub
    assert event.payload["accepted"] == 46 and event.payload["rejected"] == 4
    assert event.payload["producer_id"] == producer["id"]


async def test_request_correlation_id_travels_with_the_event(
    client: HubClient, hub: str, tap: EventTap
):
    producer = await client.call(
        "intake",
        "POST",
        "/v1/producers",
        json={"hub": hub, "name": "Pak Budi", "phone": PHONE, "regency": "Katingan"},
        headers={"X-Correlation-Id": "counter-7-req-42", **client.as_operator()},
    )
    event = await tap.wait_for(
        lambda e: e.payload.get("producer_id") == producer["id"], what="producer.registered"
    )
    assert event.correlation_id == "counter-7-req-42"
    assert event.causation_id is None


async def test_a_producer_says_how_to_be_told_and_the_record_and_event_keep_it(
    client: HubClient, hub: str, tap: EventTap
):
    producer = await add_producer(
        client, hub, email="sari@contoh.id", language="en", channel="email"
    )

    assert (producer["language"], producer["channel"]) == ("en", "email")
    path = f"/v1/producers/{producer['id']}"
    assert await client.call("intake", "GET", path, headers=client.as_operator()) == producer
    event = await tap.wait_for(
        lambda e: e.payload.get("producer_id") == producer["id"], what="producer.registered"
    )
    assert (event.type, event.version) == ("producer.registered", 2)
    assert (event.payload["language"], event.payload["channel"]) == ("en", "email")


async def test_a_producer_who_says_nothing_is_told_in_bahasa_on_the_hubs_channels(
    client: HubClient, hub: str, tap: EventTap
):
    producer = await add_producer(client, hub)

    assert (producer["language"], producer["channel"]) == ("id", None)
    event = await tap.wait_for(
        lambda e: e.payload.get("producer_id") == producer["id"], what="producer.registered"
    )
    assert (event.payload["language"], event.payload["channel"]) == ("id", None)


@pytest.mark.parametrize(
    ("column", "value"), [("language", "jv"), ("channel", "telegram"), ("channel", "email")]
)
async def test_the_producers_table_refuses_what_the_api_refuses(
    client: HubClient, hub: str, database: asyncpg.Connection, column: str, value: str
):
    """Behind the API, the table keeps the same rules (the producer has no email)."""
    producer = await add_producer(client, hub)

    with pytest.raises(asyncpg.CheckViolationError):
        await database.execute(
            f"UPDATE intake.producers SET {column} = $1 WHERE id = $2", value, producer["id"]
        )


def intake_write(path: str, hub: str, producer_id: str) -> dict:
    """A good body for each of intake's writes. Were a refused one written, the hub, product and
    producer would then be conflicts (409), and the delivery would show in the row counts."""
    return {
        "/v1/hubs": {"code": new_hub_code(), "name": "PLUT Baru"},
        "/v1/products": {"hub": hub, "sku": "masker-n95", "name": "Masker N95", "unit_price": 9000},
        "/v1/producers": {
            "hub": hub,
            "name": "Pak Budi",
            "phone": "0812 9876 5432",
            "regency": "X",
        },
        "/v1/deliveries": {
            "hub": hub,
            "producer_id": producer_id,
            "sku": "masker-kain",
            "quantity": 5,
        },
    }[path]


@pytest.mark.parametrize("path", ["/v1/hubs", "/v1/products", "/v1/producers", "/v1/deliveries"])
async def test_intake_writes_are_for_the_operator_only(
    client: HubClient, hub: str, database: asyncpg.Connection, path: str
):
    producer = await add_producer(client, hub)
    body = intake_write(path, hub, producer["id"])
    url = f"{client.urls['intake']}{path}"
    before = await row_counts(database, "intake", hub)
    for refused in ({}, {"Authorization": "Bearer not-the-token"}, {"Authorization": "not-bearer"}):
        async with client.session.post(url, json=body, headers=refused) as response:
            problem = await response.json(content_type=None)
        assert response.status == 401, refused
        assert problem["type"] == "/problems/unauthorised"
    assert await row_counts(database, "intake", hub) == before

    async with client.session.post(url, json=body, headers=client.as_operator()) as response:
        assert response.status == 201, await response.text()


async def test_lookups_of_unknown_or_malformed_ids_are_404(client: HubClient):
    for path in (f"/v1/producers/{unknown_id()}", "/v1/deliveries/not-a-uuid", "/v1/hubs/nope"):
        with pytest.raises(ApiError) as refused:
            await client.call("intake", "GET", path, headers=client.as_operator())
        assert refused.value.status == 404
        assert refused.value.body["type"] == "/problems/not-found"


async def test_a_method_a_path_does_not_take_is_405_saying_which_it_does(client: HubClient):
    async with client.session.delete(f"{client.urls['intake']}/v1/hubs") as response:
        problem = await response.json(content_type=None)
    assert response.status == 405 and problem["type"] == "/problems/method-not-allowed"
    assert response.headers["Allow"] == "GET, HEAD, POST"


async def test_duplicates_are_conflicts(client: HubClient, hub: str):
    await add_producer(client, hub)
    for attempt in (
        lambda: add_producer(client, hub, phone="+62 812-3456-7890"),  # same number, other form
        lambda: client.list_product(hub, "masker-kain", "Masker lagi", 6000),
        lambda: client.create_hub(hub, "Lagi"),
    ):
        with pytest.raises(ApiError) as refused:
            await attempt()
        assert refused.value.status == 409


def delivery(**fields) -> dict:
    """A good delivery but for `fields`; "{hub}" and "{producer}" are filled in by the test."""
    base = {"hub": "{hub}", "producer_id": "{producer}", "sku": "masker-kain", "quantity": 50}
    return {**base, **fields}


def filled(bad: BadRequest, **values: str) -> BadRequest:
    if not isinstance(bad.body, dict):
        return bad
    body = {
        key: values.get(value.strip("{}"), value) if isinstance(value, str) else value
        for key, value in bad.body.items()
    }
    return BadRequest(bad.name, body, bad.status, bad.fields, bad.content_type)


BAD_DELIVERIES = [
    BadRequest("unknown hub", delivery(hub="tidak-ada"), 422, {"hub"}),
    BadRequest("unknown product", delivery(sku="masker-n95"), 422, {"sku"}),
    BadRequest("unknown producer", delivery(producer_id=unknown_id()), 422, {"producer_id"}),
    BadRequest("quantity zero", delivery(quantity=0), 422, {"quantity"}),
    BadRequest("quantity negative", delivery(quantity=-5), 422, {"quantity"}),
    BadRequest("quantity absurd", delivery(quantity=10_000_000), 422, {"quantity"}),
    BadRequest("quantity as text", delivery(quantity="50"), 422, {"quantity"}),
    BadRequest("quantity fractional", delivery(quantity=50.5), 422, {"quantity"}),
    BadRequest("quantity boolean", delivery(quantity=True), 422, {"quantity"}),
    BadRequest("more rejected than delivered", delivery(rejected=51), 422, {"rejected"}),
    BadRequest("rejected negative", delivery(rejected=-1), 422, {"rejected"}),
    BadRequest("producer id not a uuid", delivery(producer_id="42"), 422, {"producer_id"}),
    BadRequest("hub of wrong type", delivery(hub=17), 422, {"hub"}),
    BadRequest("unknown field", delivery(colour="blue"), 422, {"colour"}),
    BadRequest("several bad fields", delivery(quantity=0, sku="X"), 422, {"quantity", "sku"}),
    BadRequest("missing fields", {}, 422, {"hub", "producer_id", "sku", "quantity"}),
    BadRequest("not an object", [1, 2], 422, {"body"}),
    BadRequest("not JSON", b'{"hub": "x", ', 400),
    BadRequest("not JSON at all", b"\xff\xfe", 400),
    BadRequest("too large", b'{"pad": "' + b"x" * 20_000 + b'"}', 413),
    BadRequest(
        "not declared JSON", b"hub=x", 415, content_type="application/x-www-form-urlencoded"
    ),
]


@pytest.mark.parametrize("bad", BAD_DELIVERIES, ids=lambda bad: bad.name)
async def test_bad_delivery_is_refused_and_leaves_no_trace(
    client: HubClient, hub: str, tap: EventTap, database: asyncpg.Connection, bad: BadRequest
):
    producer = await add_producer(client, hub)
    bad = filled(bad, hub=hub, producer=producer["id"])
    before, seen = await row_counts(database, "intake", hub), len(tap.events)

    url = f"{client.urls['intake']}/v1/deliveries"
    refusal = await send(client.session, url, bad, client.as_operator())

    assert_refused(refusal, bad)
    assert await row_counts(database, "intake", hub) == before

    async def sentinel():
        good = await client.record_delivery(hub, producer["id"], "masker-kain", 1)
        return "delivery_id", good["id"]

    await assert_no_event_since(tap, seen, hub, sentinel)


BAD_PRODUCERS = [
    BadRequest("landline", {"phone": "0536 3221234"}, 422, {"phone"}),
    BadRequest("foreign number", {"phone": "+1 650 253 0000"}, 422, {"phone"}),
    BadRequest("not a number", {"phone": "halo"}, 422, {"phone"}),
    BadRequest("bad email", {"email": "sari-at-contoh"}, 422, {"email"}),
    BadRequest("empty name", {"name": "   "}, 422, {"name"}),
    BadRequest("NUL in the name", {"name": "Ibu\u0000Sari"}, 422, {"name"}),
    BadRequest("unknown hub", {"hub": "tidak-ada"}, 422, {"hub"}),
    BadRequest("hub not a code", {"hub": "PLUT Kalteng"}, 422, {"hub"}),
    BadRequest("unknown language", {"language": "jv"}, 422, {"language"}),
    BadRequest("unknown channel", {"channel": "telegram"}, 422, {"channel"}),
    BadRequest("email channel without an email", {"channel": "email"}, 422, {"channel"}),
]


@pytest.mark.parametrize("bad", BAD_PRODUCERS, ids=lambda bad: bad.name)
async def test_bad_producer_is_refused_and_leaves_no_trace(
    client: HubClient, hub: str, tap: EventTap, database: asyncpg.Connection, bad: BadRequest
):
    body = {"hub": "{hub}", "name": "Ibu Sari", "phone": PHONE, "regency": "Kapuas", **bad.body}
    bad = filled(BadRequest(bad.name, body, bad.status, bad.fields), hub=hub)
    before, seen = await row_counts(database, "intake", hub), len(tap.events)

    url = f"{client.urls['intake']}/v1/producers"
    refusal = await send(client.session, url, bad, client.as_operator())

    assert_refused(refusal, bad)
    assert await row_counts(database, "intake", hub) == before

    async def sentinel():
        return "producer_id", (await add_producer(client, hub, phone="081298765432"))["id"]

    await assert_no_event_since(tap, seen, hub, sentinel)


async def test_bad_product_is_refused(client: HubClient, hub: str):
    for body, field in (
        ({"hub": hub, "sku": "Masker Kain", "name": "x", "unit_price": 5000}, "sku"),
        ({"hub": hub, "sku": "masker-2", "name": "x", "unit_price": 0}, "unit_price"),
        ({"hub": hub, "sku": "masker-2", "name": "x", "unit_price": "5000"}, "unit_price"),
        ({"hub": "tidak-ada", "sku": "masker-2", "name": "x", "unit_price": 5000}, "hub"),
    ):
        with pytest.raises(ApiError) as refused:
            await client.call(
                "intake", "POST", "/v1/products", json=body, headers=client.as_operator()
            )
        assert refused.value.status == 422
        assert {e["field"] for e in refused.value.body["errors"]} == {field}


async def test_problems_speak_english_when_asked(client: HubClient):
    url = f"{client.urls['intake']}/v1/deliveries"
    for language, title in (("id", "Data tidak valid"), ("en-GB,en;q=0.9", "Invalid data")):
        headers = {"Accept-Language": language, **client.as_operator()}
        async with client.session.post(url, json={}, headers=headers) as r:
            assert (await r.json(content_type=None))["title"] == title


async def test_a_hub_keeps_its_time_zone_and_announces_itself(client: HubClient, tap: EventTap):
    code = new_hub_code()

    hub = await client.create_hub(code, "PLUT Sulawesi Selatan", timezone="Asia/Makassar")

    assert hub["timezone"] == "Asia/Makassar"
    assert await client.call("intake", "GET", f"/v1/hubs/{code}") == hub
    event = await tap.wait_for(
        lambda e: e.type == "hub.registered" and e.hub == code, what="hub.registered"
    )
    assert event.payload == {"name": "PLUT Sulawesi Selatan", "timezone": "Asia/Makassar"}


async def test_a_hub_without_a_time_zone_keeps_western_indonesian_time(
    client: HubClient, tap: EventTap
):
    code = new_hub_code()

    hub = await client.create_hub(code, "PLUT Kalimantan Tengah")

    assert hub["timezone"] == "Asia/Jakarta"
    event = await tap.wait_for(
        lambda e: e.type == "hub.registered" and e.hub == code, what="hub.registered"
    )
    assert event.payload["timezone"] == "Asia/Jakarta"


@pytest.mark.parametrize("timezone", ["Mars/Olympus_Mons", "WIB", "../../etc/passwd", "", 7])
async def test_an_unknown_time_zone_is_refused_and_no_hub_is_made(
    client: HubClient, tap: EventTap, timezone
):
    code = new_hub_code()
    body = {"code": code, "name": "PLUT Entah", "timezone": timezone}

    with pytest.raises(ApiError) as refused:
        await client.call("intake", "POST", "/v1/hubs", json=body, headers=client.as_operator())

    assert refused.value.status == 422
    assert {e["field"] for e in refused.value.body["errors"]} == {"timezone"}
    with pytest.raises(ApiError) as missing:
        await client.call("intake", "GET", f"/v1/hubs/{code}")
    assert missing.value.status == 404
    # Intake's events leave in order: once a later hub's event is out, a refused one never comes.
    sentinel = new_hub_code()
    await client.create_hub(sentinel, "PLUT Sentinel")
    await tap.wait_for(lambda e: e.hub == sentinel, what="the sentinel hub")
    assert not [e for e in tap.events if e.hub == code]


async def test_units_not_collected_are_no_longer_sold(
    client: HubClient, hub: str, amqp: AbstractRobustConnection
):
    producer = await add_producer(client, hub)
    lot = await client.record_delivery(hub, producer["id"], "masker-kain", 50)
    share = LotShare(delivery_id=lot["id"], producer_id=producer["id"], quantity=10)
    order_id = uuid.uuid4()
    allocated = OrderAllocated(
        order_id=order_id,
        sku="masker-kain",
        quantity=10,
        allocated_total=10,
        requested=10,
        lots=(share,),
        rule="fifo",
        policy_version=0,
        hold_until=datetime(2026, 11, 30, 7, 0, tzinfo=UTC),
    )
    await publish_event(amqp, Envelope.wrap(allocated, hub=hub, correlation_id="test-expiry"))
    await wait_until(lambda: sold_is(client, lot["id"], 10), what="the allocation counted as sold")

    expired = OrderExpired(
        order_id=order_id,
        sku="masker-kain",
        quantity=4,
        lots=(share.model_copy(update={"quantity": 4}),),
        hold_until=allocated.hold_until,
    )
    await publish_event(amqp, Envelope.wrap(expired, hub=hub, correlation_id="test-expiry"))

    await wait_until(lambda: sold_is(client, lot["id"], 6), what="the expiry taken off sold")


async def sold_is(client: HubClient, delivery_id: str, sold: int) -> bool:
    return (await client.delivery(delivery_id))["sold"] == sold
