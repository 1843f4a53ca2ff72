"""The notifier as a running process, driven by events on the bus, sending through local
providers that answer as WhatsApp's Cloud API and Infobip's SMS API document, and a real SMTP
server."""

import asyncio
import random
import time
import uuid
from datetime import date

import pytest
from aio_pika.abc import AbstractRobustConnection

from shared.events import (
    Envelope,
    LotShare,
    OrderEstimateMoved,
    OrderExpired,
    ProducerRegistered,
    ProductListed,
)
from tests.support.bus import EventTap, publish_event
from tests.support.events import (
    HOLD_UNTIL,
    SKU,
    allocation_of,
    order_id,
    placed,
    supply,
    todays_summary,
)
from tests.support.mailbox import Mailbox
from tests.support.provider_stubs import SmsGatewayStub, WhatsAppCloudStub
from tests.support.stack import Stack
from tools.client import ApiError, HubClient, new_hub_code, wait_until


def new_phone() -> str:
    """A mobile number of this test's own, so the providers' records of it are the test's."""
    return "+62812" + "".join(random.choices("0123456789", k=8))


def digits(phone: str) -> str:
    return phone.lstrip("+")


def expiry_of(order: Envelope, quantity: int, producer_id: uuid.UUID) -> Envelope:
    return order.follow(
        OrderExpired(
            order_id=order.payload["order_id"],
            sku=SKU,
            quantity=quantity,
            lots=(LotShare(delivery_id=uuid.uuid4(), producer_id=producer_id, quantity=quantity),),
            hold_until=HOLD_UNTIL,
        )
    )


def producer(hub: str, *, phone: str, email: str | None = None, **wishes) -> Envelope:
    payload = ProducerRegistered(
        producer_id=uuid.uuid4(),
        name="Ibu Wati",
        regency="Kapuas",
        phone=phone,
        email=email,
        **wishes,
    )
    return Envelope.wrap(payload, hub=hub, correlation_id="test-producer")


def producer_id(registered: Envelope) -> uuid.UUID:
    return uuid.UUID(registered.payload["producer_id"])


async def settled_messages(client: HubClient, templates: set[str], **query) -> list[dict]:
    """The messages of an order or producer once those of `templates` are no longer pending."""

    async def done():
        messages = await client.messages(**query)
        finished = [m for m in messages if m["status"] != "pending"]
        return messages if {m["template"] for m in finished} >= templates else None

    return await wait_until(done, what=f"messages {templates} for {query}")


async def the_message(client: HubClient, template: str, **query) -> dict:
    messages = await settled_messages(client, {template}, **query)
    (message,) = [m for m in messages if m["template"] == template]
    return message


def delivered(stub, message: dict):
    """What the provider took of one message: exactly once."""
    (taken,) = [d for d in stub.deliveries if d.message_id == message["id"]]
    return taken


async def told_received(
    client: HubClient, amqp: AbstractRobustConnection, order: Envelope
) -> Envelope:
    """Publish an order and wait until its buyer was told it is queued (the allocator queues
    it), so the next message to the buyer is the one the test is about."""
    await publish_event(amqp, order)
    await the_message(client, "order_received", order_id=order_id(order))
    return order


def outcomes(message: dict) -> list[tuple[str, str]]:
    return [(a["channel"], a["outcome"]) for a in message["attempts"]]


async def test_a_buyer_with_a_phone_hears_by_whatsapp_in_bahasa(
    client: HubClient, amqp: AbstractRobustConnection, whatsapp: WhatsAppCloudStub, stack: Stack
):
    hub, phone = new_hub_code(), new_phone()
    order = placed(hub, 10, phone=phone)
    await publish_event(amqp, order)
    await publish_event(amqp, allocation_of(order, 10, uuid.uuid4()))

    message = await the_message(client, "order_allocated", order_id=order_id(order))
    assert (message["status"], message["channel"], message["language"]) == (
        "sent",
        "whatsapp",
        "id",
    )
    assert outcomes(message) == [("whatsapp", "accepted")]
    assert phone not in message["address"] and message["address"].startswith("+62812")
    sent = delivered(whatsapp, message)
    assert (sent.to, sent.template, sent.language) == (digits(phone), "plut_order_allocated", "id")
    assert (sent.message_id, sent.provider_id) == (message["id"], message["provider_id"])
    assert "10" in sent.parameters and "tanpa batas waktu" in sent.parameters
    assert hub in sent.parameters, "the pick-up place: the hub, by its code until registered"
    code = order.payload["code"]
    assert code in sent.parameters, "the order named by its code"
    assert f"{stack['storefront'].url}/lacak/{code}" in sent.parameters, "and linked"


async def test_a_buyer_who_asked_for_english_hears_in_english(
    client: HubClient, amqp: AbstractRobustConnection, whatsapp: WhatsAppCloudStub
):
    hub, phone = new_hub_code(), new_phone()
    order = placed(hub, 4, phone=phone, language="en")
    await publish_event(amqp, order)
    await publish_event(amqp, allocation_of(order, 4, uuid.uuid4()))

    message = await the_message(client, "order_allocated", order_id=order_id(order))
    assert message["language"] == "en"
    sent = delivered(whatsapp, message)
    assert sent.language == "en" and "no deadline" in sent.parameters


async def test_a_buyer_who_prefers_email_gets_text_and_html_in_their_language(
    client: HubClient, amqp: AbstractRobustConnection, mailbox: Mailbox
):
    hub, address = new_hub_code(), f"{new_hub_code()}@contoh.id"
    order = placed(hub, 6, phone=new_phone(), email=address, channel="email", language="en")
    await publish_event(amqp, order)
    await publish_event(amqp, allocation_of(order, 6, uuid.uuid4()))

    message = await the_message(client, "order_allocated", order_id=order_id(order))
    assert message["channel"] == "email" and message["address"] != address
    (email,) = mailbox.with_message_id(message["id"])
    assert email["To"].addresses[0].addr_spec == address
    assert email["Content-Language"] == "en"
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    assert "Ready to collect: 6" in text and "Halo" not in text
    assert '<html lang="en">' in html


async def test_a_number_not_on_whatsapp_falls_back_to_sms_and_says_why(
    client: HubClient,
    amqp: AbstractRobustConnection,
    whatsapp: WhatsAppCloudStub,
    sms: SmsGatewayStub,
):
    hub, phone = new_hub_code(), new_phone()
    whatsapp.not_on_whatsapp.add(digits(phone))
    order = placed(hub, 3, phone=phone)
    await publish_event(amqp, order)
    await publish_event(amqp, allocation_of(order, 3, uuid.uuid4()))

    message = await the_message(client, "order_allocated", order_id=order_id(order))
    assert (message["status"], message["channel"]) == ("sent", "sms")
    assert outcomes(message) == [("whatsapp", "permanent"), ("sms", "accepted")]
    assert "131026" in message["attempts"][0]["answer"]
    assert not whatsapp.count(message["id"])
    text = delivered(sms, message)
    assert text.text.startswith("PLUT:") and order.payload["code"] in text.text


async def test_every_message_a_buyer_gets_links_to_their_orders_page_and_none_a_producer_gets(
    client: HubClient,
    amqp: AbstractRobustConnection,
    whatsapp: WhatsAppCloudStub,
    sms: SmsGatewayStub,
    mailbox: Mailbox,
    stack: Stack,
):
    hub, phone = new_hub_code(), new_phone()
    whatsapp.not_on_whatsapp.add(digits(phone))  # so by SMS
    by_sms = placed(hub, 3, phone=phone)
    by_email = placed(hub, 2, email=f"{new_hub_code()}@contoh.id", channel="email", language="en")
    maker = producer(hub, phone=new_phone())
    for event in (maker, by_sms, by_email):
        await publish_event(amqp, event)
    for order in (by_sms, by_email):
        await publish_event(
            amqp, allocation_of(order, order.payload["quantity"], producer_id(maker))
        )
    link = f"{stack['storefront'].url}/lacak/{{}}"

    for template in ("order_received", "order_allocated"):
        message = await the_message(client, template, order_id=order_id(by_sms))
        assert message["channel"] == "sms"
        text = delivered(sms, message).text
        assert link.format(by_sms.payload["code"]) in text, text
        message = await the_message(client, template, order_id=order_id(by_email))
        (email,) = mailbox.with_message_id(message["id"])
        body = email.get_body(("plain",)).get_content()
        assert f"Track your order: {link.format(by_email.payload['code'])}" in body
    told = await settled_messages(client, {"units_sold"}, producer_id=producer_id(maker))
    sold = [m for m in told if m["template"] == "units_sold" and m["status"] == "sent"]
    assert sold and all("/lacak/" not in str(delivered(whatsapp, m).parameters) for m in sold)


async def test_an_order_announced_before_codes_is_named_as_before_and_its_buyer_told_whom_to_ask(
    client: HubClient, amqp: AbstractRobustConnection, sms: SmsGatewayStub
):
    hub, phone = new_hub_code(), new_phone()
    newest = placed(hub, 3, phone=phone, channel="sms")
    # As v3 had it: neither the code (v4) nor the programme (v5).
    payload = {k: v for k, v in newest.payload.items() if k not in ("code", "programme")}
    old = newest.model_copy(update={"version": 3, "payload": payload})
    await publish_event(amqp, old)

    message = await the_message(client, "order_received", order_id=order_id(old))
    text = delivered(sms, message).text
    assert order_id(old)[:8].upper() in text and "Lacak: hubungi PLUT" in text
    assert "/lacak/" not in text


async def test_every_channel_failing_ends_the_message_as_failed(
    client: HubClient,
    amqp: AbstractRobustConnection,
    whatsapp: WhatsAppCloudStub,
    sms: SmsGatewayStub,
):
    hub, phone = new_hub_code(), new_phone()
    whatsapp.not_on_whatsapp.add(digits(phone))
    sms.invalid_numbers.add(digits(phone))
    order = placed(hub, 3, phone=phone)
    await publish_event(amqp, order)
    await publish_event(amqp, allocation_of(order, 3, uuid.uuid4()))

    message = await the_message(client, "order_allocated", order_id=order_id(order))
    assert message["status"] == "failed"
    assert outcomes(message) == [("whatsapp", "permanent"), ("sms", "permanent")]
    assert "every channel failed" in message["last_error"]
    # notification.failed has no consumer, so it is not published (shared/outbox.py): the
    # message's own record above is what says it failed.


async def test_a_recipient_without_phone_or_email_is_skipped_not_lost(
    client: HubClient, amqp: AbstractRobustConnection
):
    hub = new_hub_code()
    order = placed(hub, 3)
    await publish_event(amqp, order)
    await publish_event(amqp, allocation_of(order, 3, uuid.uuid4()))

    message = await the_message(client, "order_allocated", order_id=order_id(order))
    assert message["status"] == "skipped"
    assert message["last_error"] == "recipient has no phone number or email address"


async def test_an_opt_out_passes_the_channel_over_and_is_recorded(
    client: HubClient,
    amqp: AbstractRobustConnection,
    whatsapp: WhatsAppCloudStub,
    sms: SmsGatewayStub,
):
    hub, phone = new_hub_code(), new_phone()
    no_whatsapp = await client.opt_out("whatsapp", phone=phone.replace("+62", "0"))
    assert (no_whatsapp["channel"], no_whatsapp["address"]) == ("whatsapp", phone)
    again = await client.opt_out("whatsapp", phone=phone)
    assert again["id"] == no_whatsapp["id"], "asking twice answers the first opt-out"
    first = placed(hub, 3, phone=phone)
    await publish_event(amqp, first)
    await publish_event(amqp, allocation_of(first, 3, uuid.uuid4()))

    message = await the_message(client, "order_allocated", order_id=order_id(first))
    assert (message["status"], message["channel"]) == ("sent", "sms")
    assert outcomes(message) == [("whatsapp", "opted_out"), ("sms", "accepted")]
    assert not whatsapp.count(message["id"])
    assert delivered(sms, message).to == digits(phone)

    await client.opt_out("sms", phone=phone)
    second = placed(hub, 2, phone=phone)
    await publish_event(amqp, second)
    await publish_event(amqp, allocation_of(second, 2, uuid.uuid4()))
    message = await the_message(client, "order_allocated", order_id=order_id(second))
    assert message["status"] == "opted_out"
    assert outcomes(message) == [("whatsapp", "opted_out"), ("sms", "opted_out")]
    assert not sms.count(message["id"]) and not whatsapp.count(message["id"])

    await client.opt_back_in(no_whatsapp["id"])
    third = placed(hub, 1, phone=phone)
    await publish_event(amqp, third)
    await publish_event(amqp, allocation_of(third, 1, uuid.uuid4()))
    message = await the_message(client, "order_allocated", order_id=order_id(third))
    assert (message["status"], message["channel"]) == ("sent", "whatsapp")


async def test_a_provider_down_for_a_while_delays_its_messages_loses_none_doubles_none(
    client: HubClient,
    amqp: AbstractRobustConnection,
    whatsapp: WhatsAppCloudStub,
    mailbox: Mailbox,
):
    hub = new_hub_code()
    phones = [new_phone() for _ in range(5)]
    orders = [placed(hub, 2, phone=phone) for phone in phones]
    by_email = placed(hub, 2, email=f"{hub}@contoh.id")
    whatsapp.down = True
    try:
        for order in [*orders, by_email]:
            await publish_event(amqp, order)
            await publish_event(amqp, allocation_of(order, 2, uuid.uuid4()))

        # Email keeps flowing while WhatsApp is down.
        emailed = await the_message(client, "order_allocated", order_id=order_id(by_email))
        assert emailed["status"] == "sent"

        async def each_refused() -> bool:
            for order in orders:
                messages = await client.messages(order_id=order_id(order))
                allocated = [m for m in messages if m["template"] == "order_allocated"]
                if not any(("whatsapp", "temporary") in outcomes(m) for m in allocated):
                    return False
            return True

        await wait_until(each_refused, what="WhatsApp down for each buyer's message")
    finally:
        whatsapp.down = False
    down_until = time.monotonic()

    for order, phone in zip(orders, phones, strict=True):
        message = await the_message(client, "order_allocated", order_id=order_id(order))
        assert (message["status"], message["channel"]) == ("sent", "whatsapp")
        assert ("whatsapp", "temporary") in outcomes(message)
        assert outcomes(message)[-1] == ("whatsapp", "accepted")
        sent = delivered(whatsapp, message)
        assert sent.at >= down_until and sent.to == digits(phone)


async def test_a_rate_limit_is_waited_out_as_the_provider_asks(
    client: HubClient, amqp: AbstractRobustConnection, sms: SmsGatewayStub
):
    hub, phone = new_hub_code(), new_phone()
    order = await told_received(client, amqp, placed(hub, 2, phone=phone, channel="sms"))
    sms.rate_limit_next(1, retry_after=2, to=phone)
    await publish_event(amqp, allocation_of(order, 2, uuid.uuid4()))

    message = await the_message(client, "order_allocated", order_id=order_id(order))
    assert message["status"] == "sent"
    assert outcomes(message)[0] == ("sms", "temporary")
    [limited_at] = sms.rate_limited_at
    assert delivered(sms, message).at >= limited_at + 2


async def test_a_timeout_whose_fate_is_unknown_is_retried_with_the_providers_idempotency(
    client: HubClient, amqp: AbstractRobustConnection, sms: SmsGatewayStub
):
    """The gateway took the message but did not answer within our timeout; the retry carries
    the same message id, which the gateway knows, so the person gets one SMS."""
    hub, phone = new_hub_code(), new_phone()
    order = await told_received(client, amqp, placed(hub, 2, phone=phone, channel="sms"))
    sms.hold_next(1, to=phone)  # never answered: the notifier's timeout runs out
    await publish_event(amqp, allocation_of(order, 2, uuid.uuid4()))

    message = await the_message(client, "order_allocated", order_id=order_id(order))
    assert message["status"] == "sent"
    assert outcomes(message) == [("sms", "unknown"), ("sms", "accepted")]
    assert delivered(sms, message).to == digits(phone)


async def test_the_same_event_twice_sends_one_message(
    client: HubClient, amqp: AbstractRobustConnection, whatsapp: WhatsAppCloudStub
):
    hub, phone = new_hub_code(), new_phone()
    maker = producer(hub, phone=phone)
    await publish_event(amqp, maker)
    lot = supply(hub, 50, rejected=2, producer_id=producer_id(maker))
    await publish_event(amqp, lot)
    await publish_event(amqp, lot)
    # A later event for the same producer shows the duplicate has been dealt with by then.
    await publish_event(amqp, supply(hub, 10, producer_id=producer_id(maker)))

    async def two_sent():
        messages = await client.messages(producer_id=str(producer_id(maker)))
        return messages if sum(m["status"] == "sent" for m in messages) >= 2 else None

    messages = await wait_until(two_sent, what="two deliveries told")
    assert [m["template"] for m in messages] == ["delivery_recorded", "delivery_recorded"]
    assert [delivered(whatsapp, m).to for m in messages] == [digits(phone)] * 2
    assert {"52", "50", "2"} <= set(delivered(whatsapp, messages[0]).parameters)


async def test_a_message_waits_for_a_recipient_that_arrives_late(
    client: HubClient, amqp: AbstractRobustConnection, whatsapp: WhatsAppCloudStub
):
    hub, buyer_phone, maker_phone = new_hub_code(), new_phone(), new_phone()
    order = placed(hub, 10, phone=buyer_phone)
    maker = producer(hub, phone=maker_phone)
    # The allocation overtakes both the order and the producer's registration.
    await publish_event(amqp, allocation_of(order, 10, producer_id(maker)))
    pending = await wait_until(
        lambda: client.messages(order_id=order_id(order)), what="the message recorded"
    )
    assert [(m["status"], m["channel"]) for m in pending] == [("pending", None)]

    await publish_event(amqp, order)
    await publish_event(amqp, maker)

    message = await the_message(client, "order_allocated", order_id=order_id(order))
    assert message["status"] == "sent" and message["id"] == pending[0]["id"]
    sold = await the_message(client, "units_sold", producer_id=str(producer_id(maker)))
    assert sold["status"] == "sent"
    assert delivered(whatsapp, sold).to == digits(maker_phone)


async def test_a_producer_hears_what_was_sold_what_it_earned_and_how_the_day_went(
    client: HubClient, amqp: AbstractRobustConnection, whatsapp: WhatsAppCloudStub
):
    hub, phone = new_hub_code(), new_phone()
    listed = ProductListed(
        product_id=uuid.uuid4(), sku=SKU, name="Masker kain 3 lapis", unit_price=5000
    )
    await publish_event(amqp, Envelope.wrap(listed, hub=hub, correlation_id="test-product"))
    maker = producer(hub, phone=phone, language="en")
    await publish_event(amqp, maker)
    await publish_event(amqp, supply(hub, 48, rejected=2, producer_id=producer_id(maker)))
    order = placed(hub, 10)
    await publish_event(amqp, allocation_of(order, 10, producer_id(maker)))
    await publish_event(amqp, expiry_of(order, 4, producer_id(maker)))

    sold = await the_message(client, "units_sold", producer_id=str(producer_id(maker)))
    told = delivered(whatsapp, sold)
    assert told.language == "en"
    assert {"Masker kain 3 lapis", "10", "Rp5,000", "Rp50,000"} <= set(told.parameters)

    summary = todays_summary(received=48, allocated=10, expired=4)
    # After the expiry is handled: the summary must count it.
    await the_message(client, "units_returned", producer_id=str(producer_id(maker)))
    await publish_event(amqp, Envelope.wrap(summary, hub=hub, correlation_id="test-day"))
    day = await the_message(client, "daily_summary", producer_id=str(producer_id(maker)))
    told = delivered(whatsapp, day)
    # delivered 50, accepted 48, rejected 2, sold 10, returned 4, earned 6 x Rp5,000.
    assert {"50", "48", "2", "10", "4", "Rp30,000"} <= set(told.parameters)


async def test_units_not_collected_are_told_to_the_buyer_and_the_producer(
    client: HubClient, amqp: AbstractRobustConnection, whatsapp: WhatsAppCloudStub
):
    hub, buyer_phone, maker_phone = new_hub_code(), new_phone(), new_phone()
    order = placed(hub, 10, phone=buyer_phone)
    maker = producer(hub, phone=maker_phone)
    await publish_event(amqp, order)
    await publish_event(amqp, maker)

    await publish_event(amqp, expiry_of(order, 4, producer_id(maker)))

    expired = await the_message(client, "order_expired", order_id=order_id(order))
    returned = await the_message(client, "units_returned", producer_id=str(producer_id(maker)))
    assert expired["status"] == returned["status"] == "sent"
    to_buyer = delivered(whatsapp, expired)
    assert {"4", "30 November 2026 14.00 WIB"} <= set(to_buyer.parameters)
    to_maker = delivered(whatsapp, returned)
    assert to_maker.template == "plut_units_returned" and "4" in to_maker.parameters


async def test_a_moved_estimate_is_told_to_the_buyer_with_both_dates(
    client: HubClient, amqp: AbstractRobustConnection, whatsapp: WhatsAppCloudStub
):
    hub, phone = new_hub_code(), new_phone()
    order = placed(hub, 10, phone=phone)
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

    sent = delivered(
        whatsapp, await the_message(client, "estimate_moved", order_id=order_id(order))
    )
    assert {"mundur", "3 Desember 2026", "1 Desember 2026", "120"} <= set(sent.parameters)


async def test_a_hold_is_shown_in_the_time_zone_the_hub_registered(
    client: HubClient, amqp: AbstractRobustConnection, whatsapp: WhatsAppCloudStub, tap: EventTap
):
    hub, phone = new_hub_code(), new_phone()
    await client.create_hub(hub, "PLUT Sulawesi Selatan", timezone="Asia/Makassar")
    # The notifier's queue got hub.registered when the tap did: before anything published next.
    await tap.wait_for(lambda e: e.type == "hub.registered" and e.hub == hub, what="hub.registered")
    order = placed(hub, 5, phone=phone)
    await publish_event(amqp, order)
    await publish_event(amqp, allocation_of(order, 5, uuid.uuid4(), hold_until=HOLD_UNTIL))

    sent = delivered(
        whatsapp, await the_message(client, "order_allocated", order_id=order_id(order))
    )
    assert {"30 November 2026 15.00 WITA", "PLUT Sulawesi Selatan"} <= set(sent.parameters)


async def test_the_message_log_is_for_operators(client: HubClient):
    with pytest.raises(ApiError) as refused:
        await client.call("notifier", "GET", f"/v1/messages?order_id={uuid.uuid4()}")
    assert refused.value.status == 401


@pytest.mark.parametrize(
    "query",
    ["", "?order_id=x", f"?order_id={uuid.uuid4()}&producer_id={uuid.uuid4()}"],
    # Named, not shown: pytest-xdist's workers must collect the same tests, and the ids differ.
    ids=["no id", "not an id", "two ids"],
)
async def test_message_log_needs_one_valid_id(client: HubClient, query: str):
    with pytest.raises(ApiError) as refused:
        await client.call("notifier", "GET", f"/v1/messages{query}", headers=client.as_operator())
    assert refused.value.status == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "email", "phone": "081234567890"}, "body"),
        ({"channel": "sms", "email": "a@contoh.id"}, "body"),
        ({"channel": "sms", "phone": "0536 3221 234"}, "phone"),  # a landline
        ({"channel": "pigeon", "phone": "081234567890"}, "channel"),
    ],
)
async def test_a_bad_opt_out_is_refused_naming_the_problem(
    client: HubClient, body: dict, field: str
):
    with pytest.raises(ApiError) as refused:
        await client.opt_out(**body)
    assert refused.value.status == 422
    assert field in {error["field"] for error in refused.value.body["errors"]}


async def test_opting_back_in_to_an_unknown_opt_out_is_404(client: HubClient):
    with pytest.raises(ApiError) as refused:
        await client.opt_back_in(str(uuid.uuid4()))
    assert refused.value.status == 404


async def test_concurrent_messages_all_go_once(
    client: HubClient, amqp: AbstractRobustConnection, whatsapp: WhatsAppCloudStub
):
    hub = new_hub_code()
    orders = [placed(hub, 1, phone=new_phone()) for _ in range(40)]
    await asyncio.gather(*(publish_event(amqp, order) for order in orders))
    await asyncio.gather(*(publish_event(amqp, allocation_of(o, 1, uuid.uuid4())) for o in orders))
    for order in orders:
        message = await the_message(client, "order_allocated", order_id=order_id(order))
        assert whatsapp.count(message["id"]) == 1


async def test_a_send_cut_short_by_a_crash_is_sent_again_once_its_lease_runs_out(
    client: HubClient, amqp: AbstractRobustConnection, sms: SmsGatewayStub, stack: Stack
):
    """The gateway took the message, then the notifier died before it heard so. The message's
    lease runs out and it goes again with the same message id, which the gateway refuses as a
    duplicate: the person got one SMS, and the log shows it sent."""
    hub, phone = new_hub_code(), new_phone()
    order = await told_received(client, amqp, placed(hub, 2, phone=phone, channel="sms"))
    sms.hold_next(1, to=phone)  # the notifier dies waiting for the answer
    await publish_event(amqp, allocation_of(order, 2, uuid.uuid4()))

    async def taken() -> dict | None:
        messages = await client.messages(order_id=order_id(order))
        allocated = [m for m in messages if m["template"] == "order_allocated"]
        return allocated[0] if allocated and sms.count(allocated[0]["id"]) else None

    message = await wait_until(taken, what="the gateway taking the message")
    notifier = stack["notifier"]
    notifier.kill()
    notifier.start()
    await notifier.wait_ready()

    message = await the_message(client, "order_allocated", order_id=order_id(order))
    assert message["status"] == "sent"
    assert outcomes(message) == [("sms", "accepted")], "the cut-short try left no outcome"
    assert "REJECTED_DUPLICATE_MESSAGE_ID" in message["attempts"][0]["answer"]
    assert sms.count(message["id"]) == 1
