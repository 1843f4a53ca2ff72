"""The orders service over HTTP, as a running process."""

import asyncio

import asyncpg
import pytest

from tests.support.bus import EventTap
from tests.support.refusals import (
    BadRequest,
    assert_no_event_since,
    assert_refused,
    row_counts,
    send,
    unknown_id,
)
from tools.client import ApiError, HubClient

BUYER = {"name": "Dinas Kesehatan Kapuas", "type": "agency", "region": "Kuala Kapuas"}


def order(hub: str, **fields) -> dict:
    return {"hub": hub, "sku": "masker-kain", "quantity": 100, "buyer": BUYER, **fields}


async def post_order(client: HubClient, body: dict, key: str):
    url = f"{client.urls['orders']}/v1/orders"
    async with client.session.post(url, json=body, headers=client.to_orders(key)) as response:
        return response.status, dict(response.headers), await response.read()


async def test_order_is_queued_and_announced(client: HubClient, hub: str, tap: EventTap):
    placed = await client.place_order(hub, "masker-kain", 100, BUYER)

    assert placed["status"] == "queued" and placed["allocated"] == 0
    assert placed["waiting"] == 100 and placed["fulfilled"] == placed["expired"] == 0
    assert placed["accept_partial"] is True and placed["priority_class"] == "agency"
    read = await client.order(placed["id"])
    assert {name: read[name] for name in placed} == placed, "what POST answered, and more"
    event = await tap.wait_for(
        lambda e: e.type == "order.placed" and e.payload["order_id"] == placed["id"],
        what="order.placed",
    )
    assert event.payload["quantity"] == 100 and event.payload["sequence"] >= 1
    assert event.payload["buyer"]["type"] == "agency"


async def test_a_buyer_says_how_to_be_told_and_the_order_and_its_event_keep_it(
    client: HubClient, hub: str, tap: EventTap
):
    told = {"phone": "0812 3456 7890", "language": "en", "channel": "sms"}

    placed = await client.place_order(hub, "masker-kain", 10, {**BUYER, **told})

    assert placed["buyer"]["phone"] == "+6281234567890"
    assert (placed["buyer"]["language"], placed["buyer"]["channel"]) == ("en", "sms")
    assert (await client.order(placed["id"]))["buyer"] == placed["buyer"]
    event = await tap.wait_for(
        lambda e: e.type == "order.placed" and e.payload["order_id"] == placed["id"],
        what="order.placed",
    )
    assert event.version == 5 and event.payload["buyer"] == placed["buyer"]


async def test_a_buyer_who_says_nothing_is_told_in_bahasa_on_the_hubs_channels(
    client: HubClient, hub: str, tap: EventTap
):
    placed = await client.place_order(hub, "masker-kain", 10, BUYER)

    assert (placed["buyer"]["language"], placed["buyer"]["channel"]) == ("id", None)
    event = await tap.wait_for(
        lambda e: e.type == "order.placed" and e.payload["order_id"] == placed["id"],
        what="order.placed",
    )
    assert (event.payload["buyer"]["language"], event.payload["buyer"]["channel"]) == ("id", None)


async def test_retry_with_idempotency_key_returns_the_first_answer(
    partner_client: HubClient, hub: str, database: asyncpg.Connection
):
    first = await post_order(partner_client, order(hub), key="po-1")
    again = await post_order(partner_client, order(hub), key="po-1")

    assert first[0] == again[0] == 201
    assert again[2] == first[2], "the same answer, byte for byte"
    assert again[1].get("Idempotent-Replayed") == "true"
    assert await database.fetchval("SELECT count(*) FROM orders.orders WHERE hub = $1", hub) == 1


async def test_a_retry_that_spells_out_the_defaults_is_the_same_request(
    partner_client: HubClient, hub: str
):
    first = await post_order(partner_client, order(hub), key="po-defaults")
    spelled_out = order(hub, accept_partial=True, buyer={**BUYER, "language": "id"})
    again = await post_order(partner_client, spelled_out, key="po-defaults")

    assert first[0] == again[0] == 201
    assert again[1].get("Idempotent-Replayed") == "true"


async def test_same_key_with_another_body_is_refused(
    partner_client: HubClient, hub: str, database: asyncpg.Connection
):
    await post_order(partner_client, order(hub), key="po-2")
    status, _headers, body = await post_order(partner_client, order(hub, quantity=5), key="po-2")
    assert status == 422
    assert b"/problems/idempotency-key-reused" in body
    assert await database.fetchval("SELECT count(*) FROM orders.orders WHERE hub = $1", hub) == 1


async def test_concurrent_requests_with_one_key_make_one_order(
    partner_client: HubClient, hub: str, database: asyncpg.Connection
):
    answers = await asyncio.gather(
        *(post_order(partner_client, order(hub), key="po-3") for _ in range(10))
    )
    assert {status for status, _h, _b in answers} <= {201, 409}
    assert len({body for status, _h, body in answers if status == 201}) == 1
    assert await database.fetchval("SELECT count(*) FROM orders.orders WHERE hub = $1", hub) == 1


async def test_a_request_while_the_first_with_its_key_is_in_flight_is_409(
    partner_client: HubClient, partner: dict, hub: str, database: asyncpg.Connection
):
    """Holding the key's lock stands in for a first request still being answered."""
    owner = partner["partner"]["id"]
    lock = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"
    async with database.transaction():
        await database.execute(lock, f"{owner}\npo-4")
        status, _headers, body = await post_order(partner_client, order(hub), key="po-4")
    assert status == 409 and b"/problems/idempotency-key-in-flight" in body

    first = await post_order(partner_client, order(hub), key="po-4")
    again = await post_order(partner_client, order(hub), key="po-4")
    assert first[0] == again[0] == 201 and first[2] == again[2]
    assert await database.fetchval("SELECT count(*) FROM orders.orders WHERE hub = $1", hub) == 1


async def test_cancel_is_announced_once(client: HubClient, hub: str, tap: EventTap):
    placed = await client.place_order(hub, "masker-kain", 10, BUYER)

    cancelled = await client.cancel(placed["id"])
    again = await client.cancel(placed["id"])

    assert cancelled["status"] == again["status"] == "cancelled"
    assert again == cancelled
    await tap.wait_for(
        lambda e: e.type == "order.cancelled" and e.payload["order_id"] == placed["id"],
        what="order.cancelled",
    )
    sentinel = await client.place_order(hub, "masker-kain", 1, BUYER)
    await tap.wait_for(lambda e: e.payload.get("order_id") == sentinel["id"], what="sentinel")
    cancels = [e for e in tap.of_hub(hub) if e.type == "order.cancelled"]
    assert len(cancels) == 1


async def test_unknown_orders_are_404(client: HubClient):
    for method, path in (
        ("GET", f"/v1/orders/{unknown_id()}"),
        ("POST", f"/v1/orders/{unknown_id()}/cancel"),
        ("GET", "/v1/orders/12345"),
    ):
        with pytest.raises(ApiError) as refused:
            await client.call("orders", method, path, headers=client.to_orders("k"))
        assert refused.value.status == 404


def buyer(**fields) -> dict:
    return {**BUYER, **fields}


BAD_ORDERS = [
    BadRequest("hub not the partner's", {"hub": "tidak-ada"}, 403),
    BadRequest("unknown product", {"sku": "masker-n95"}, 422, {"sku"}),
    BadRequest("quantity zero", {"quantity": 0}, 422, {"quantity"}),
    BadRequest("quantity absurd", {"quantity": 100_000_000}, 422, {"quantity"}),
    BadRequest("quantity as text", {"quantity": "100"}, 422, {"quantity"}),
    BadRequest("quantity fractional", {"quantity": 1.5}, 422, {"quantity"}),
    BadRequest("buyer type unknown", {"buyer": buyer(type="pemerintah")}, 422, {"buyer.type"}),
    BadRequest("buyer missing", {"buyer": None}, 422, {"buyer"}),
    BadRequest("buyer not an object", {"buyer": "Dinas"}, 422, {"buyer"}),
    BadRequest("buyer landline", {"buyer": buyer(phone="0536 3221234")}, 422, {"buyer.phone"}),
    BadRequest("buyer email", {"buyer": buyer(email="dinas@")}, 422, {"buyer.email"}),
    BadRequest("buyer without name", {"buyer": buyer(name="")}, 422, {"buyer.name"}),
    BadRequest("unknown field", {"discount": 50}, 422, {"discount"}),
    BadRequest("accept_partial as text", {"accept_partial": "false"}, 422, {"accept_partial"}),
    BadRequest("accept_partial as 0", {"accept_partial": 0}, 422, {"accept_partial"}),
    BadRequest("priority_class uppercase", {"priority_class": "Health"}, 422, {"priority_class"}),
    BadRequest("priority_class empty", {"priority_class": ""}, 422, {"priority_class"}),
    BadRequest("priority_class spaces", {"priority_class": "dinas kes"}, 422, {"priority_class"}),
    BadRequest("buyer reference empty", {"buyer": buyer(reference=" ")}, 422, {"buyer.reference"}),
    BadRequest("buyer language unknown", {"buyer": buyer(language="jv")}, 422, {"buyer.language"}),
    BadRequest("buyer channel unknown", {"buyer": buyer(channel="fax")}, 422, {"buyer.channel"}),
    BadRequest(
        "buyer email channel, no email", {"buyer": buyer(channel="email")}, 422, {"buyer.channel"}
    ),
    BadRequest(
        "buyer sms channel, no phone",
        {"buyer": buyer(channel="sms", email="dinkes@kapuas.go.id")},
        422,
        {"buyer.channel"},
    ),
    BadRequest("priority_class, partner", {"priority_class": "program"}, 403, {"priority_class"}),
    BadRequest("not JSON", b"{'hub': 'x'}", 400),
    BadRequest("too large", b"[" + b"1," * 10_000 + b"1]", 413),
    BadRequest("not declared JSON", b"{}", 415, content_type="text/plain"),
]


@pytest.mark.parametrize("bad", BAD_ORDERS, ids=lambda bad: bad.name)
async def test_bad_order_is_refused_and_leaves_no_trace(
    partner_client: HubClient,
    hub: str,
    tap: EventTap,
    database: asyncpg.Connection,
    bad: BadRequest,
):
    if isinstance(bad.body, dict):
        body = {**order(hub), **bad.body}
        bad = BadRequest(bad.name, body, bad.status, bad.fields, bad.content_type)
    before, seen = await row_counts(database, "orders", hub), len(tap.events)

    url = f"{partner_client.urls['orders']}/v1/orders"
    refusal = await send(partner_client.session, url, bad, partner_client.to_orders("bad-1"))

    assert_refused(refusal, bad)
    assert await row_counts(database, "orders", hub) == before

    async def sentinel():
        return "order_id", (await partner_client.place_order(hub, "masker-kain", 1, BUYER))["id"]

    await assert_no_event_since(tap, seen, hub, sentinel)


async def test_malformed_idempotency_key_is_refused(partner_client: HubClient, hub: str):
    for malformed in ("x" * 300, "kunci dengan spasi"):
        status, _headers, body = await post_order(partner_client, order(hub), key=malformed)
        assert status == 422
        assert b"Idempotency-Key" in body
