"""Names from outside (buyers', producers', hubs', products', partners'): a CR/LF in one left an
email stuck for a day, and a URL in one went out in the hub's official WhatsApp template. Every
name is refused at the edge when it holds a control character or looks like a link; a name
that slipped in before (older data, events) is shown harmless; and a message that cannot be
written is given up on, not retried."""

import uuid

import asyncpg
import pytest
from aio_pika.abc import AbstractRobustConnection

from services.notifier.channels.base import Content, Outcome, Outgoing, SendFailure
from services.notifier.channels.email import Email
from tests.integration.test_notifier import delivered, new_phone, the_message
from tests.support.attacks import fields_of, refusal
from tests.support.bus import publish_event
from tests.support.events import allocation_of, order_id, placed
from tests.support.mailbox import Mailbox
from tests.support.provider_stubs import WhatsAppCloudStub
from tests.support.refusals import row_counts
from tools.client import HubClient, new_hub_code

CONTROL = [
    "Ibu Sari\r\nBcc: semua@contoh.id",
    "Ibu Sari\nSubject: Hadiah",
    "Ibu\u2028Sari",  # line separator
    "Ibu\u2029Sari",  # paragraph separator
    "Ibu \u202eiraS",  # right-to-left override
    "Ibu\u2066Sari\u2069",  # bidi isolates
    "Ibu\u200bSari",  # zero-width space
    "Ibu\x1b[31mSari",  # a terminal escape
    "Ibu\x00Sari",
]
LINKS = [
    "https://promo.example/klik",
    "Ibu Sari http://bit.ly/x",
    "www.masker-murah.id",
    "Toko bit.ly/diskon",
    "Hubungi wa.me/6281234567890",
    "Ikuti @tokomurah",
    "sari@contoh.id",
    "Klik promo-masker.com sekarang",
    "Hadiah di evil\uff0ecom",  # a full-width dot
    "javascript:alert(1)",
    "Klik //jahat.example",  # no scheme, any top-level domain
    "<a href=//jahat.example>Klik</a>",
]
BAD_NAMES = CONTROL + LINKS
GOOD_NAMES = ["Budi Santoso, S.Kom., M.Si.", "PT. Maju Jaya Tbk.", "Dr.Ir. H. Ahmad", "Hj.Siti"]


def refused_as_name(error, field: str) -> bool:
    return error.status == 422 and field in fields_of(error)


async def test_a_partners_buyer_name_or_region_is_refused_and_nothing_placed(
    client: HubClient, hub: str, partner_client: HubClient, database: asyncpg.Connection
):
    before = await row_counts(database, "orders", hub)
    buyer = {"name": "Ibu Sari", "type": "individual", "region": "Kapuas"}

    for bad in BAD_NAMES:
        for field in ("name", "region"):
            order = partner_client.place_order(hub, "masker-kain", 1, {**buyer, field: bad})
            error = await refusal(order)
            assert refused_as_name(error, f"buyer.{field}"), (bad, error.body)
    for good in GOOD_NAMES:
        await partner_client.place_order(hub, "masker-kain", 1, {**buyer, "name": good})

    after = await row_counts(database, "orders", hub)
    assert after["orders"] == before["orders"] + len(GOOD_NAMES)


async def test_producer_hub_product_and_partner_names_are_refused_and_nothing_written(
    client: HubClient, hub: str, database: asyncpg.Connection
):
    code = new_hub_code("nama")
    producer = {"name": "Ibu Sari", "phone": "081234567891", "regency": "Kapuas"}
    before = await row_counts(database, "intake", hub)
    edited = await client.register_producer(hub, **producer)
    one_producer = f"/v1/producers/{edited['id']}"

    for bad in BAD_NAMES:
        attempts = {
            "name": [
                client.create_hub(code, bad),
                client.list_product(hub, "masker-baru", bad, 5000),
                client.register_producer(hub, **{**producer, "name": bad}),
                client.call(
                    "intake",
                    "PATCH",
                    one_producer,
                    json={"name": bad},
                    headers=client.as_operator(),
                ),
                client.create_partner(bad, [hub]),
            ],
            "regency": [client.register_producer(hub, **{**producer, "regency": bad})],
        }
        for field, calls in attempts.items():
            for call in calls:
                error = await refusal(call)
                assert refused_as_name(error, field), (bad, error.body)

    after = await row_counts(database, "intake", hub)
    assert after["producers"] == before["producers"] + 1 and after["products"] == before["products"]
    one = await client.call("intake", "GET", one_producer, headers=client.as_operator())
    assert one["name"] == "Ibu Sari"
    unknown_hub = client.call("intake", "GET", f"/v1/hubs/{code}")
    assert (await refusal(unknown_hub)).status == 404


async def test_a_name_from_older_data_goes_out_harmless_by_whatsapp(
    client: HubClient, amqp: AbstractRobustConnection, whatsapp: WhatsAppCloudStub
):
    """An order placed before the rules (its event still holds such a name): the hub's official
    template shows the name with its link broken and its line breaks gone."""
    hub = new_hub_code()
    order = placed(hub, 2, phone=new_phone(), name="Promo\nhttps://evil.example/klik @hadiah")
    await publish_event(amqp, order)
    await publish_event(amqp, allocation_of(order, 2, uuid.uuid4()))

    message = await the_message(client, "order_allocated", order_id=order_id(order))
    sent = delivered(whatsapp, message)

    assert message["status"] == "sent"
    assert sent.parameters[0] == "Promo https[:]//evil[.]example/klik [at]hadiah"


async def test_a_name_with_a_line_break_from_older_data_no_longer_sticks_an_email(
    client: HubClient, amqp: AbstractRobustConnection, mailbox: Mailbox
):
    hub, address = new_hub_code(), f"{new_hub_code()}@contoh.id"
    name = "Bu Rina\r\nBcc: semua@contoh.id"
    order = placed(hub, 3, email=address, channel="email", name=name)
    await publish_event(amqp, order)
    await publish_event(amqp, allocation_of(order, 3, uuid.uuid4()))

    message = await the_message(client, "order_allocated", order_id=order_id(order))
    (email,) = mailbox.with_message_id(message["id"])

    assert (message["status"], message["channel"]) == ("sent", "email")
    assert email["To"].addresses[0].addr_spec == address and "Bcc" not in email
    assert "semua[at]contoh[.]id" in email.get_body(("plain",)).get_content()


@pytest.mark.parametrize("name", ["Bu Rina\r\nBcc: x@contoh.id", "Bu Rina\nX-Spam: 1", "Bu\rRina"])
async def test_an_email_that_cannot_be_written_is_permanent_not_retried(name: str):
    """Whatever the message's name, if the email library refuses to write the email no retry
    mends it: a permanent failure (the next channel, or failed), not a day of retries."""
    content = Content("order_allocated", "id", "Pesanan siap", "Halo", "Halo", ("Halo",))
    outgoing = Outgoing(uuid.uuid4(), "test", "rina@contoh.id", name, content)
    email = Email(host="127.0.0.1", port=1, sender="PLUT <pesan@plut.example>")

    with pytest.raises(SendFailure) as failed:
        await email.send(outgoing)  # refused before connecting: nothing listens on port 1

    assert failed.value.outcome is Outcome.PERMANENT
    assert "cannot be written" in failed.value.answer and "Bcc" not in failed.value.answer
