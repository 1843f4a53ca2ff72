"""The notifier as a running process, driven by events on the bus."""

import uuid

import pytest
from aio_pika.abc import AbstractRobustConnection

from shared.events import Envelope, LotShare, OrderAllocated, ProducerRegistered
from tests.support.bus import publish_event
from tests.support.events import SKU, order_id, placed, supply
from tests.support.mailbox import Mailbox
from tools.client import ApiError, HubClient, new_hub_code, wait_until


def allocation_of(order, quantity: int, producer_id: uuid.UUID):
    return order.follow(
        OrderAllocated(
            order_id=order.payload["order_id"],
            sku=SKU,
            quantity=quantity,
            allocated_total=quantity,
            requested=order.payload["quantity"],
            lots=(LotShare(delivery_id=uuid.uuid4(), producer_id=producer_id, quantity=quantity),),
            rule="fifo",
            policy_version=0,
            hold_until=None,
        )
    )


def producer(hub: str, email: str | None):
    payload = ProducerRegistered(
        producer_id=uuid.uuid4(),
        name="Ibu Wati",
        regency="Kapuas",
        phone="+6281234567890",
        email=email,
    )
    return Envelope.wrap(payload, hub=hub, correlation_id="test-producer")


async def settled_messages(client: HubClient, templates: set[str], **query) -> list[dict]:
    async def done():
        messages = await client.messages(**query)
        finished = [m for m in messages if m["status"] != "pending"]
        return messages if {m["template"] for m in finished} >= templates else None

    return await wait_until(done, what=f"messages {templates} for {query}")


async def test_a_message_waits_for_a_recipient_that_arrives_late(
    client: HubClient, amqp: AbstractRobustConnection, mailbox: Mailbox
):
    hub = new_hub_code()
    order = placed(hub, 10, email=f"{hub}@contoh.id")
    maker = producer(hub, email=f"{hub}-maker@contoh.id")
    # The allocation overtakes both the order and the producer's registration.
    await publish_event(amqp, allocation_of(order, 10, uuid.UUID(maker.payload["producer_id"])))
    pending = await wait_until(
        lambda: client.messages(order_id=order_id(order)), what="the message recorded"
    )
    assert [m["status"] for m in pending] == ["pending"]

    await publish_event(amqp, order)
    await publish_event(amqp, maker)

    to_buyer = await settled_messages(client, {"order_allocated"}, order_id=order_id(order))
    to_maker = await settled_messages(
        client, {"units_sold"}, producer_id=maker.payload["producer_id"]
    )
    (allocated,) = [m for m in to_buyer if m["template"] == "order_allocated"]
    assert allocated["status"] == "sent" and allocated["id"] == pending[0]["id"]
    assert [m["status"] for m in to_maker] == ["sent"]
    (email,) = mailbox.with_message_id(allocated["id"])
    body = email.get_content()
    assert "10 Masker" in body or "10 masker" in body.lower()
    assert body.index("Halo") < body.index("Hello"), "Bahasa Indonesia first"


async def test_the_same_event_twice_sends_one_message(
    client: HubClient, amqp: AbstractRobustConnection, mailbox: Mailbox
):
    hub = new_hub_code()
    maker = producer(hub, email=f"{hub}@contoh.id")
    await publish_event(amqp, maker)
    lot = supply(hub, 50, rejected=2, producer_id=uuid.UUID(maker.payload["producer_id"]))
    await publish_event(amqp, lot)
    await publish_event(amqp, lot)
    # A later event for the same producer shows the duplicate has been dealt with by then.
    second = supply(hub, 10, producer_id=uuid.UUID(maker.payload["producer_id"]))
    await publish_event(amqp, second)

    async def two_recorded():
        messages = await client.messages(producer_id=maker.payload["producer_id"])
        sent = [m for m in messages if m["status"] == "sent"]
        return messages if len(sent) >= 2 else None

    messages = await wait_until(two_recorded, what="two deliveries told")
    assert [m["template"] for m in messages] == ["delivery_recorded", "delivery_recorded"]
    assert len(mailbox.to(f"{hub}@contoh.id")) == 2
    body = mailbox.with_message_id(messages[0]["id"])[0].get_content()
    assert "Diterima: 50" in body and "Ditolak pada pemeriksaan mutu: 2" in body


async def test_a_recipient_without_email_is_skipped_not_lost(
    client: HubClient, amqp: AbstractRobustConnection
):
    hub = new_hub_code()
    order = placed(hub, 3)  # no email address
    await publish_event(amqp, order)
    await publish_event(amqp, allocation_of(order, 3, uuid.uuid4()))

    messages = await settled_messages(
        client, {"order_received", "order_allocated"}, order_id=order_id(order)
    )
    assert {m["status"] for m in messages} == {"skipped"}
    assert {m["last_error"] for m in messages} == {"recipient has no email address"}


@pytest.mark.parametrize(
    "query", ["", "?order_id=x", f"?order_id={uuid.uuid4()}&producer_id={uuid.uuid4()}"]
)
async def test_message_log_needs_one_valid_id(client: HubClient, query: str):
    with pytest.raises(ApiError) as refused:
        await client.call("notifier", "GET", f"/v1/messages{query}")
    assert refused.value.status == 422
