"""The notifier tells applicants to a free-mask programme that a published draw passed them
over: driven by programme.not_drawn on the bus, seen at the providers' stand-ins."""

import uuid

from aio_pika.abc import AbstractRobustConnection

from tests.integration.test_notifier import delivered, digits, new_phone, the_message
from tests.support.bus import publish_event
from tests.support.events import not_drawn
from tests.support.mailbox import Mailbox
from tests.support.programmes import apply, citizen, draw, open_programme
from tests.support.provider_stubs import WhatsAppCloudStub
from tests.support.stack import Stack
from tools.client import HubClient, new_hub_code, wait_until


async def test_an_applicant_not_drawn_hears_by_whatsapp_in_bahasa_with_the_draw_to_check(
    client: HubClient, amqp: AbstractRobustConnection, whatsapp: WhatsAppCloudStub, stack: Stack
):
    hub, phone = new_hub_code(), new_phone()
    draw = not_drawn(hub, phone=phone, seed=987654321012, entrants=1250)
    await publish_event(amqp, draw)

    payload = draw.payload
    message = await the_message(client, "programme_not_drawn", order_id=payload["order_id"])
    assert (message["status"], message["channel"], message["language"]) == (
        "sent",
        "whatsapp",
        "id",
    )
    sent = delivered(whatsapp, message)
    assert (sent.to, sent.template) == (digits(phone), "plut_programme_not_drawn")
    site = stack["storefront"].url
    assert {
        "Masker Gratis Palangka Raya",
        "987654321012",
        "1.250",
        payload["code"],
        payload["ticket"],
        f"{site}/lacak/{payload['code']}",
        f"{site}/program/{payload['programme_id']}/undian/{payload['draw_id']}",
    } <= set(sent.parameters)


async def test_an_applicant_who_asked_for_email_in_english_hears_so(
    client: HubClient, amqp: AbstractRobustConnection, mailbox: Mailbox
):
    hub, address = new_hub_code(), f"{new_hub_code()}@contoh.id"
    draw = not_drawn(hub, phone=new_phone(), email=address, channel="email", language="en")
    await publish_event(amqp, draw)

    message = await the_message(client, "programme_not_drawn", order_id=draw.payload["order_id"])
    assert (message["channel"], message["language"]) == ("email", "en")
    (email,) = mailbox.with_message_id(message["id"])
    assert email["To"].addresses[0].addr_spec == address
    text = email.get_body(("plain",)).get_content()
    assert "was not drawn this time" in text and "stays in the pool" in text


async def test_the_same_event_twice_tells_once_and_each_later_draw_tells_again(
    client: HubClient, amqp: AbstractRobustConnection, whatsapp: WhatsAppCloudStub
):
    hub, phone = new_hub_code(), new_phone()
    first = not_drawn(hub, phone=phone, entrants=30)
    await publish_event(amqp, first)
    await publish_event(amqp, first)
    # A later draw of the same application: once it is told, the duplicate was dealt with.
    payload = first.payload
    again = first.follow(
        first.read().model_copy(update={"draw_id": uuid.uuid4(), "seed": 7, "entrants": 29})
    )
    await publish_event(amqp, again)

    async def both_sent():
        messages = await client.messages(order_id=payload["order_id"])
        return messages if sum(m["status"] == "sent" for m in messages) >= 2 else None

    messages = await wait_until(both_sent, what="both draws told")
    assert [m["template"] for m in messages] == ["programme_not_drawn"] * 2
    assert [delivered(whatsapp, m).to for m in messages] == [digits(phone)] * 2
    assert {"30", "29"} == {
        p for m in messages for p in delivered(whatsapp, m).parameters if p in ("30", "29")
    }


async def test_a_published_draw_tells_the_applicant_it_passed_over(
    client: HubClient, whatsapp: WhatsAppCloudStub, hub: str
):
    """The orders service's own draw: a budget for one of two applicants; the other hears."""
    opened = await open_programme(
        client, hub, selection="lottery", budget=5000, units_per_recipient=1
    )
    phones = {}
    for n in (1, 2):
        phones[n] = new_phone()
        status, _ = await apply(client, opened["id"], {**citizen(n), "phone": phones[n]})
        assert status == 201

    drawn = await draw(client, opened["id"], seed=7)

    [passed_over] = set(drawn["entrant_tickets"]) - set(drawn["winner_tickets"])
    [(order_id, code)] = [
        (a["order_id"], a["code"])
        for a in (
            await client.call(
                "orders",
                "GET",
                f"/v1/programmes/{opened['id']}/applications",
                headers=client.as_operator(),
            )
        )["applications"]
        if a["ticket"] == passed_over
    ]
    message = await the_message(client, "programme_not_drawn", order_id=order_id)
    sent = delivered(whatsapp, message)
    # Their own code (to track it) and their ticket (to find themselves in the published draw).
    assert code in sent.parameters and passed_over in sent.parameters and "7" in sent.parameters
    assert sent.to in {digits(phone) for phone in phones.values()}
