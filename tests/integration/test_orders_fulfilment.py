"""The orders service's part of the pre-order queue: priority classes, whole-only orders, buyer
identity, and an order's units from allocation to hand-over or expiry.

Allocations and expiries are published onto the bus as the allocator would publish them.
"""

import json
import uuid
from datetime import UTC, datetime, timedelta

import aio_pika
import asyncpg
import pytest

from shared.events import Buyer, Envelope, LotShare, OrderAllocated, OrderExpired
from tests.support.bus import EventTap, publish_event
from tests.support.refusals import unknown_id
from tools.client import ApiError, HubClient, wait_until

SKU = "masker-kain"
CLINIC = {"name": "Puskesmas Pahandut", "type": "health_facility", "region": "Palangka Raya"}
CITIZEN = {"name": "Bu Rina", "type": "individual", "region": "Sampit"}
HOLD_UNTIL = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def allocated(order: dict, quantity: int, total: int, hold_until=HOLD_UNTIL) -> Envelope:
    return Envelope.wrap(
        OrderAllocated(
            order_id=order["id"],
            sku=SKU,
            quantity=quantity,
            allocated_total=total,
            requested=order["quantity"],
            lots=(LotShare(delivery_id=uuid.uuid4(), producer_id=uuid.uuid4(), quantity=quantity),),
            rule="fifo",
            policy_version=1,
            hold_until=hold_until,
        ),
        hub=order["hub"],
        correlation_id="test-allocated",
    )


def expired(order: dict, quantity: int) -> Envelope:
    return Envelope.wrap(
        OrderExpired(
            order_id=order["id"],
            sku=SKU,
            quantity=quantity,
            lots=(LotShare(delivery_id=uuid.uuid4(), producer_id=uuid.uuid4(), quantity=quantity),),
            hold_until=HOLD_UNTIL,
        ),
        hub=order["hub"],
        correlation_id="test-expired",
    )


async def after(amqp, client: HubClient, event: Envelope, **expected) -> dict:
    """Publish the event, then wait until the order reads with the expected values."""
    await publish_event(amqp, event)

    async def probe():
        order = await client.order(event.payload["order_id"])
        return order if all(order[name] == value for name, value in expected.items()) else None

    return await wait_until(probe, what=f"order with {expected}")


async def post(client: HubClient, path: str, body: dict | None = None, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    headers["Idempotency-Key"] = str(uuid.uuid4())
    async with client.session.post(
        f"{client.urls['orders']}{path}", json=body or {}, headers=headers
    ) as response:
        return response.status, await response.json(content_type=None)


def order_body(hub: str, **fields) -> dict:
    return {"hub": hub, "sku": SKU, "quantity": 10, "buyer": CITIZEN, **fields}


# --- placing ------------------------------------------------------------------------------


async def test_priority_class_from_a_partner_is_refused_naming_the_field(
    client: HubClient, hub: str, partner: dict, database: asyncpg.Connection
):
    body = order_body(hub, priority_class="program")
    status, problem = await post(client, "/v1/orders", body, token=partner["api_key"])

    assert status == 403 and problem["status"] == 403
    assert [error["field"] for error in problem["errors"]] == ["priority_class"]
    count = "SELECT count(*) FROM orders.orders WHERE hub = $1"
    assert await database.fetchval(count, hub) == 0


async def test_priority_class_with_a_wrong_token_is_refused(client: HubClient, hub: str):
    body = order_body(hub, priority_class="program")
    status, problem = await post(client, "/v1/orders", body, token="not-the-token")

    assert status == 401 and problem["type"] == "/problems/unauthorised"


async def test_operator_sets_the_class_and_the_event_carries_it(
    client: HubClient, hub: str, tap: EventTap
):
    placed = await client.place_order(
        hub, SKU, 10, CITIZEN, accept_partial=False, priority_class="program"
    )

    assert placed["priority_class"] == "program" and placed["accept_partial"] is False
    event = await tap.wait_for(
        lambda e: e.type == "order.placed" and e.payload["order_id"] == placed["id"],
        what="order.placed",
    )
    # The class alone: no programme pays for an order the operator placed in it.
    assert event.version == 5 and event.payload["programme"] is None
    assert event.payload["priority_class"] == "program"
    assert event.payload["accept_partial"] is False
    assert event.payload["buyer_key"] == Buyer(**CITIZEN).key(uuid.UUID(placed["id"]))


async def test_class_follows_the_buyer_type_and_the_key_the_partners_reference(
    client: HubClient, hub: str, tap: EventTap
):
    placed = await client.place_order(hub, SKU, 10, {**CLINIC, "reference": "faskes-0042"})

    assert placed["priority_class"] == "health" and placed["accept_partial"] is True
    assert placed["buyer"]["reference"] == "faskes-0042"
    event = await tap.wait_for(
        lambda e: e.type == "order.placed" and e.payload["order_id"] == placed["id"],
        what="order.placed",
    )
    assert (event.payload["priority_class"], event.payload["accept_partial"]) == ("health", True)
    assert event.payload["buyer_key"] == Buyer(**CLINIC, reference="faskes-0042").key(uuid.uuid4())


async def test_the_same_buyer_by_phone_has_the_same_key_across_orders(
    client: HubClient, hub: str, tap: EventTap
):
    # The same number written two ways is one buyer; another number is another.
    first = await client.place_order(hub, SKU, 1, {**CITIZEN, "phone": "0812-3456-7890"})
    second = await client.place_order(hub, SKU, 2, {**CITIZEN, "phone": "+62 812 3456 7890"})
    other = await client.place_order(hub, SKU, 3, {**CITIZEN, "phone": "081298765432"})

    keys = []
    for order in (first, second, other):
        event = await tap.wait_for(
            lambda e, order=order: (
                e.type == "order.placed" and e.payload["order_id"] == order["id"]
            ),
            what="order.placed",
        )
        keys.append(event.payload["buyer_key"])
    assert keys[0] == keys[1] != keys[2]


async def test_idempotency_key_with_another_class_or_partial_choice_is_refused(
    client: HubClient, hub: str
):
    key = f"{hub}-po-class"
    await client.place_order(hub, SKU, 10, CITIZEN, key, accept_partial=True)
    for changed in ({"accept_partial": False}, {"priority_class": "public"}):
        with pytest.raises(ApiError) as refused:
            await client.place_order(hub, SKU, 10, CITIZEN, key, **changed)
        assert refused.value.status == 422
        assert refused.value.body["type"] == "/problems/idempotency-key-reused"


# --- reading ------------------------------------------------------------------------------


async def test_an_order_the_allocator_has_not_queued_says_it_was_received(
    client: HubClient, hub: str, database: asyncpg.Connection
):
    # Written without its order.placed, so the allocator cannot have queued it before the read
    # (placed through the API, it may well have: the race this test once lost).
    placed = await database.fetchrow(
        """
        INSERT INTO orders.orders (id, hub, sku, quantity, buyer, priority_class)
        VALUES ($1, $2, $3, 10, $4::jsonb, 'public')
        RETURNING id::text, placed_at
        """,
        uuid.uuid4(),
        hub,
        SKU,
        json.dumps(CITIZEN),
    )

    read = await client.order(placed["id"])

    assert (read["position"], read["units_ahead"], read["estimated_date"]) == (None, None, None)
    [line] = read["explanation"]
    assert line["rule"] == "received" and line["quantity"] == 10
    assert line["id"] == "Pesanan diterima dan sedang dimasukkan ke antrean"
    assert line["en"] == "Order received; it is being placed in the queue"
    assert datetime.fromisoformat(line["at"]) == placed["placed_at"]


# --- handing over -------------------------------------------------------------------------


async def test_held_units_are_handed_over_once_and_announced(
    client: HubClient, hub: str, tap: EventTap, amqp: aio_pika.abc.AbstractRobustConnection
):
    placed = await client.place_order(hub, SKU, 10, CITIZEN)
    held = await after(amqp, client, allocated(placed, 10, 10), allocated=10)
    assert held["status"] == "allocated" and held["waiting"] == 0
    assert datetime.fromisoformat(held["hold_until"]) == HOLD_UNTIL

    handed = await client.fulfil(placed["id"])

    assert handed["status"] == "fulfilled" and handed["fulfilled"] == 10
    assert (await client.order(placed["id"]))["status"] == "fulfilled"
    event = await tap.wait_for(
        lambda e: e.type == "order.fulfilled" and e.payload["order_id"] == placed["id"],
        what="order.fulfilled",
    )
    assert (event.payload["quantity"], event.payload["fulfilled_total"]) == (10, 10)
    assert event.hub == hub
    for again in (client.fulfil(placed["id"]), client.cancel(placed["id"])):
        with pytest.raises(ApiError) as refused:
            await again
        assert refused.value.status == 409 and refused.value.body["title"]


async def test_a_partial_order_is_handed_over_as_its_units_come(
    client: HubClient, hub: str, tap: EventTap, amqp: aio_pika.abc.AbstractRobustConnection
):
    placed = await client.place_order(hub, SKU, 10, CITIZEN)
    await after(amqp, client, allocated(placed, 4, 4), allocated=4)

    first = await client.fulfil(placed["id"])
    assert (first["status"], first["fulfilled"], first["waiting"]) == ("partially_allocated", 4, 6)

    later = HOLD_UNTIL + timedelta(days=1)
    rest = await after(amqp, client, allocated(placed, 6, 10, hold_until=later), allocated=10)
    assert rest["status"] == "allocated"
    assert datetime.fromisoformat(rest["hold_until"]) == later, "the latest deadline"
    second = await client.fulfil(placed["id"])

    assert (second["status"], second["fulfilled"]) == ("fulfilled", 10)
    await tap.wait_for(
        lambda e: (
            e.type == "order.fulfilled"
            and e.payload["order_id"] == placed["id"]
            and e.payload["fulfilled_total"] == 10
        ),
        what="the second order.fulfilled",
    )
    events = [
        (e.payload["quantity"], e.payload["fulfilled_total"])
        for e in tap.of_hub(hub)
        if e.type == "order.fulfilled"
    ]
    assert events == [(4, 4), (6, 10)]


async def test_fulfil_is_refused_when_there_is_nothing_to_hand_over(
    client: HubClient, hub: str, amqp: aio_pika.abc.AbstractRobustConnection
):
    waiting = await client.place_order(hub, SKU, 10, CITIZEN)
    cancelled = await client.place_order(hub, SKU, 10, CITIZEN)
    await after(amqp, client, allocated(cancelled, 5, 5), allocated=5)
    await client.cancel(cancelled["id"])

    for order, kind in ((waiting, "nothing-to-fulfil"), (cancelled, "order-cancelled")):
        with pytest.raises(ApiError) as refused:
            await client.fulfil(order["id"])
        assert refused.value.status == 409
        assert refused.value.body["type"] == f"/problems/{kind}"
    with pytest.raises(ApiError) as refused:
        await client.fulfil(unknown_id())
    assert refused.value.status == 404


async def test_only_an_operator_may_hand_over(client: HubClient, hub: str, partner: dict):
    placed = await client.as_partner(partner["api_key"]).place_order(hub, SKU, 10, CITIZEN)
    path = f"/v1/orders/{placed['id']}/fulfil"

    assert (await post(client, path))[0] == 401
    assert (await post(client, path, token="not-the-token"))[0] == 401
    status, problem = await post(client, path, token=partner["api_key"])
    assert status == 403 and problem["type"] == "/problems/operator-only"


# --- expiry -------------------------------------------------------------------------------


async def test_units_not_collected_expire(
    client: HubClient, hub: str, amqp: aio_pika.abc.AbstractRobustConnection
):
    placed = await client.place_order(hub, SKU, 10, CITIZEN)
    await after(amqp, client, allocated(placed, 10, 10), allocated=10)

    gone = await after(amqp, client, expired(placed, 10), expired=10)

    assert (gone["allocated"], gone["fulfilled"], gone["waiting"]) == (0, 0, 0)
    assert gone["status"] == "expired"
    with pytest.raises(ApiError) as refused:
        await client.fulfil(placed["id"])
    assert refused.value.status == 409


async def test_an_order_half_handed_over_and_half_expired_is_done(
    client: HubClient, hub: str, amqp: aio_pika.abc.AbstractRobustConnection
):
    placed = await client.place_order(hub, SKU, 10, CITIZEN)
    await after(amqp, client, allocated(placed, 6, 6), allocated=6)
    await client.fulfil(placed["id"])
    await after(amqp, client, allocated(placed, 4, 10), allocated=10)

    done = await after(amqp, client, expired(placed, 4), expired=4)

    assert (done["allocated"], done["fulfilled"], done["waiting"]) == (6, 6, 0)
    assert done["status"] == "fulfilled"


async def test_an_order_whose_units_expired_early_still_waits_for_the_rest(
    client: HubClient, hub: str, amqp: aio_pika.abc.AbstractRobustConnection
):
    placed = await client.place_order(hub, SKU, 10, CITIZEN)
    await after(amqp, client, allocated(placed, 3, 3), allocated=3)

    left = await after(amqp, client, expired(placed, 3), expired=3)

    assert (left["allocated"], left["waiting"], left["status"]) == (0, 7, "partially_allocated")
