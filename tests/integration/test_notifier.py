"""The notifier as a running process, driven by events on the bus."""

import uuid
from datetime import UTC, date, datetime

import pytest
from aio_pika.abc import AbstractRobustConnection

from shared.events import (
    Envelope,
    LotShare,
    OrderAllocated,
    OrderEstimateMoved,
    OrderExpired,
    ProducerRegistered,
)
from tests.support.bus import EventTap, publish_event
from tests.support.events import SKU, order_id, placed, supply
from tests.support.mailbox import Mailbox
from tools.client import ApiError, HubClient, new_hub_code, wait_until

# 07.00 UTC: 14.00 WIB, 15.00 WITA.
HOLD_UNTIL = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def allocation_of(order, quantity: int, producer_id: uuid.UUID, hold_until: datetime | None = None):
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
            hold_until=hold_until,
        )
    )


def expiry_of(order, quantity: int, producer_id: uuid.UUID):
    return order.follow(
        OrderExpired(
            order_id=order.payload["order_id"],
            sku=SKU,
            quantity=quantity,
            lots=(LotShare(delivery_id=uuid.uuid4(), producer_id=producer_id, quantity=quantity),),
            hold_until=HOLD_UNTIL,
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


def body_of(mailbox: Mailbox, message: dict) -> str:
    (email,) = mailbox.with_message_id(message["id"])
    return email.get_content()


async def test_units_not_collected_are_told_to_the_buyer_and_the_producer(
    client: HubClient, amqp: AbstractRobustConnection, mailbox: Mailbox
):
    hub = new_hub_code()
    order = placed(hub, 10, email=f"{hub}@contoh.id")
    maker = producer(hub, email=f"{hub}-maker@contoh.id")
    maker_id = uuid.UUID(maker.payload["producer_id"])
    await publish_event(amqp, order)
    await publish_event(amqp, maker)

    await publish_event(amqp, expiry_of(order, 4, maker_id))

    to_buyer = await settled_messages(client, {"order_expired"}, order_id=order_id(order))
    to_maker = await settled_messages(client, {"units_returned"}, producer_id=str(maker_id))
    (expired,) = [m for m in to_buyer if m["template"] == "order_expired"]
    assert expired["status"] == "sent"
    body = body_of(mailbox, expired)
    assert (
        "4 masker-kain untuk pesanan Anda tidak diambil sebelum 30 November 2026 14.00 WIB" in body
    )
    assert "not collected before 30 November 2026 14:00 WIB" in body
    (returned,) = to_maker
    assert returned["status"] == "sent"
    assert "4 masker-kain buatan Anda tidak diambil" in body_of(mailbox, returned)


async def test_a_moved_estimate_is_told_to_the_buyer_with_both_dates(
    client: HubClient, amqp: AbstractRobustConnection, mailbox: Mailbox
):
    hub = new_hub_code()
    order = placed(hub, 10, email=f"{hub}@contoh.id")
    await publish_event(amqp, order)

    moved = OrderEstimateMoved(
        order_id=order.payload["order_id"],
        sku=SKU,
        position=3,
        units_ahead=120,
        estimated_date=date(2026, 12, 3),
        previous_date=date(2026, 12, 1),
    )
    await publish_event(amqp, order.follow(moved))

    messages = await settled_messages(client, {"estimate_moved"}, order_id=order_id(order))
    (told,) = [m for m in messages if m["template"] == "estimate_moved"]
    body = body_of(mailbox, told)
    assert "Perkiraan tanggal pesanan Anda untuk masker-kain mundur." in body
    assert "Perkiraan baru: 3 Desember 2026." in body
    assert "Perkiraan sebelumnya: 1 Desember 2026." in body
    assert "New estimate: 3 December 2026." in body
    assert "Previous estimate: 1 December 2026." in body
    assert body.index("Halo") < body.index("Hello"), "Bahasa Indonesia first"


async def test_a_hold_is_shown_in_the_time_zone_the_hub_registered(
    client: HubClient, amqp: AbstractRobustConnection, mailbox: Mailbox, tap: EventTap
):
    hub = new_hub_code()
    await client.create_hub(hub, "PLUT Sulawesi Selatan", timezone="Asia/Makassar")
    # The notifier's queue got hub.registered when the tap did: before anything published next.
    await tap.wait_for(lambda e: e.type == "hub.registered" and e.hub == hub, what="hub.registered")
    order = placed(hub, 5, email=f"{hub}@contoh.id")
    await publish_event(amqp, order)

    await publish_event(amqp, allocation_of(order, 5, uuid.uuid4(), hold_until=HOLD_UNTIL))

    messages = await settled_messages(client, {"order_allocated"}, order_id=order_id(order))
    (allocated,) = [m for m in messages if m["template"] == "order_allocated"]
    body = body_of(mailbox, allocated)
    assert "Silakan ambil sebelum 30 November 2026 15.00 WITA." in body
    assert "Please collect them before 30 November 2026 15:00 WITA." in body
