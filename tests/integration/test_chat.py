"""Conversations by chat at the running stack: a person writes to the WhatsApp stand-in's number
(signed webhooks to the notifier), the notifier answers by session messages, and orders are
read, placed and cancelled through the orders API with the notifier's own key."""

import random

import asyncpg
import pytest

from tests.support.chat import SCOPES, Chat, ChatHub, chat_hub, code_in, order_by_chat, replies
from tests.support.provider_stubs import SmsGatewayStub, WhatsAppCloudStub
from tests.support.stack import Stack
from tests.support.storefront import deliver_what_waits
from tools.client import HubClient, wait_until
from tools.sandbox import Sandbox


def new_phone() -> str:
    return "+62814" + "".join(random.choices("0123456789", k=8))


@pytest.fixture(scope="module")
async def shop(stack: Stack, box: Sandbox) -> ChatHub:
    return await chat_hub(stack, box.database_url)


async def order_for(client: HubClient, shop: ChatHub, phone: str, quantity: int = 3) -> dict:
    """An order placed for the number elsewhere (an operator's, or `client`'s key's), once its
    buyer was told it waits: the notifier then knows the number's order."""
    buyer = {"name": "Budi Santoso", "type": "individual", "region": "Kapuas", "phone": phone}
    order = await client.place_order(shop.hub, shop.sku, quantity, buyer)

    async def told() -> bool:
        messages = await client.messages(order_id=order["id"])
        return any(m["template"] == "order_received" and m["status"] == "sent" for m in messages)

    await wait_until(told, what=f"order {order['code']} told received")
    return order


async def message_of(client: HubClient, order: dict, template: str) -> dict:
    async def sent() -> dict | None:
        messages = await client.messages(order_id=order["id"])
        done = [m for m in messages if m["template"] == template and m["status"] != "pending"]
        return done[0] if done else None

    return await wait_until(sent, what=f"{template} of {order['code']}")


async def test_stop_sends_an_orders_messages_by_sms_and_mulai_brings_whatsapp_back(
    shop: ChatHub, client: HubClient, whatsapp: WhatsAppCloudStub, sms: SmsGatewayStub
):
    phone = new_phone()
    chat = Chat(whatsapp, phone)

    stopped = await chat.says("Stop")
    assert "MULAI" in stopped.text
    order = await order_for(client, shop, phone)
    told = await message_of(client, order, "order_received")
    assert told["channel"] == "sms"
    assert [(a["channel"], a["outcome"]) for a in told["attempts"]] == [
        ("whatsapp", "opted_out"),
        ("sms", "accepted"),
    ]

    started = await chat.says("mulai")
    assert "lagi" in started.text
    again = await order_for(client, shop, phone)
    assert (await message_of(client, again, "order_received"))["channel"] == "whatsapp"


async def test_stop_by_sms_opts_out_of_sms_and_is_answered_by_sms(
    shop: ChatHub, client: HubClient, sms: SmsGatewayStub
):
    phone = new_phone()
    await sms.inbound(phone, "BERHENTI")

    async def answered():
        return [d for d in sms.to(phone) if "MULAI" in (d.text or "")]

    [reply] = await wait_until(answered, what="the SMS answer to BERHENTI")
    opt_outs = await client.call(
        "notifier", "GET", f"/v1/opt-outs?phone={phone}", headers=client.as_operator()
    )
    assert [o["channel"] for o in opt_outs["opt_outs"]] == ["sms"]
    assert reply.to == phone.lstrip("+")


async def test_status_lists_the_senders_open_orders_with_place_estimate_and_link(
    shop: ChatHub, client: HubClient, whatsapp: WhatsAppCloudStub, stack: Stack
):
    phone = new_phone()
    order = await order_for(client, shop, phone, quantity=4)

    status = await Chat(whatsapp, phone).says("STATUS")

    assert f"{order['code']}: 4 {shop.product}" in status.text
    assert "perkiraan" in status.text
    assert f"{stack['storefront'].url}/lacak/{order['code']}" in status.text
    nobody = await Chat(whatsapp, new_phone()).says("cek")
    assert "Tidak ada pesanan terbuka" in nobody.text


async def test_an_order_placed_by_chat_is_allocated_told_and_tracked(
    shop: ChatHub, client: HubClient, whatsapp: WhatsAppCloudStub, stack: Stack
):
    phone = new_phone()
    chat = Chat(whatsapp, phone, name="Ibu Rina")

    placed = await order_by_chat(chat, shop, 5)

    code = code_in(placed)
    assert f"{stack['storefront'].url}/lacak/{code}" in placed
    order = await client.order_by_code(code)
    assert (order["quantity"], order["buyer"]["phone"], order["buyer"]["name"]) == (
        5,
        phone,
        "Ibu Rina",
    )
    await message_of(client, order, "order_received")
    await deliver_what_waits(client, shop)

    allocated = await message_of(client, order, "order_allocated")
    assert (allocated["status"], allocated["channel"]) == ("sent", "whatsapp")
    assert (await client.order(order["id"]))["status"] == "allocated"
    status = await chat.says("status")
    assert f"{code}: 5 {shop.product}, 5 disiapkan sampai" in status.text


async def test_cancel_by_chat_after_the_confirm_button(
    shop: ChatHub, client: HubClient, whatsapp: WhatsAppCloudStub
):
    phone = new_phone()
    chat = Chat(whatsapp, phone)
    code = code_in(await order_by_chat(chat, shop, 2))
    order = await client.order_by_code(code)
    await message_of(client, order, "order_received")

    confirm = await chat.says(f"batal {code.replace('-', '').lower()}")
    assert confirm.buttons == ((f"cancel:{order['id']}", "Ya, batalkan"), ("keep", "Tidak"))
    assert (await client.order(order["id"]))["status"] != "cancelled"
    done = await chat.taps(f"cancel:{order['id']}", "Ya, batalkan")

    assert done.text == f"Pesanan {code} dibatalkan."
    assert (await client.order(order["id"]))["status"] == "cancelled"
    logged = [
        m for m in await client.messages(order_id=order["id"]) if m["template"] == "chat_reply"
    ]
    assert len(logged) == 3, "the order's log shows the chat: placed, confirm, cancelled"
    assert {m["channel"] for m in logged} == {"whatsapp"}


async def test_a_strangers_batal_changes_nothing_and_reads_as_an_unknown_code(
    shop: ChatHub, client: HubClient, whatsapp: WhatsAppCloudStub
):
    owner = new_phone()
    order = await order_for(client, shop, owner)
    stranger = Chat(whatsapp, new_phone())

    theirs = await stranger.says(f"BATAL {order['code']}")
    unknown = await stranger.says("BATAL 22222-22222")
    forged = await stranger.taps(f"cancel:{order['id']}", "Ya, batalkan")

    assert theirs.text == unknown.text.replace("22222-22222", order["code"])
    assert "tidak ditemukan" in theirs.text and not theirs.buttons
    assert "kedaluwarsa" in forged.text
    assert (await client.order(order["id"]))["status"] == "queued"


async def site_of(client: HubClient, shop: ChatHub) -> HubClient:
    """The buyers' site's key for the shop's hub (its scopes are the chat's): what it places,
    it placed after the buyer typed the code sent to the phone."""
    site = await client.create_partner(
        f"Situs {shop.hub}", [shop.hub], scopes=SCOPES, buyer_types=["individual"]
    )
    return client.as_partner(site["api_key"])


async def test_an_order_placed_on_the_site_is_cancelled_by_chat_from_the_same_number(
    shop: ChatHub, client: HubClient, whatsapp: WhatsAppCloudStub
):
    phone = new_phone()
    order = await order_for(await site_of(client, shop), shop, phone)
    chat = Chat(whatsapp, phone)

    confirm = await chat.says(f"BATAL {order['code']}")
    assert confirm.buttons == ((f"cancel:{order['id']}", "Ya, batalkan"), ("keep", "Tidak"))
    done = await chat.taps(f"cancel:{order['id']}", "Ya, batalkan")

    assert done.text == f"Pesanan {order['code']} dibatalkan."
    assert (await client.order(order["id"]))["status"] == "cancelled"


async def test_a_strangers_batal_of_a_site_order_changes_nothing(
    shop: ChatHub, client: HubClient, whatsapp: WhatsAppCloudStub
):
    order = await order_for(await site_of(client, shop), shop, new_phone())
    stranger = Chat(whatsapp, new_phone())

    theirs = await stranger.says(f"BATAL {order['code']}")
    unknown = await stranger.says("BATAL 22222-22222")
    forged = await stranger.taps(f"cancel:{order['id']}", "Ya, batalkan")

    assert theirs.text == unknown.text.replace("22222-22222", order["code"])
    assert "kedaluwarsa" in forged.text
    assert (await client.order(order["id"]))["status"] == "queued"


async def test_an_order_whose_number_nobody_checked_is_not_cancelled_by_chat(
    shop: ChatHub, client: HubClient, whatsapp: WhatsAppCloudStub
):
    phone = new_phone()
    order = await order_for(client, shop, phone)  # the counter typed the number in
    chat = Chat(whatsapp, phone)

    await chat.says(f"BATAL {order['code']}")
    told = await chat.taps(f"cancel:{order['id']}", "Ya, batalkan")

    assert "tidak diperiksa PLUT" in told.text
    assert (await client.order(order["id"]))["status"] == "queued"


async def test_a_flood_from_one_number_is_answered_once_and_not_read(
    shop: ChatHub, whatsapp: WhatsAppCloudStub, database: asyncpg.Connection
):
    phone = new_phone()
    for n in range(14):
        await whatsapp.inbound_text(phone, f"halo {n}")
    await whatsapp.inbound_text(phone, "STOP")  # the 15th: over the limit, not read

    async def all_handled() -> bool:
        handled = await database.fetchval(
            "SELECT count(*) FROM notifier.inbound_messages "
            "WHERE phone = $1 AND handled_at IS NOT NULL",
            phone,
        )
        return handled == 15

    await wait_until(all_handled, what="15 messages handled")
    answered = await database.fetch(
        "SELECT m.params->>'text' AS text FROM notifier.messages m "
        "JOIN notifier.recipients r ON r.key = m.recipient_key "
        "WHERE r.kind = 'chat' AND r.phone = $1 ORDER BY m.seq",
        phone,
    )
    assert len(answered) == 2, "the help once, and one 'slow down'"
    assert "terlalu banyak" in answered[1]["text"]
    opted_out = await database.fetchval(
        "SELECT count(*) FROM notifier.opt_outs WHERE address = $1", phone
    )
    assert opted_out == 0

    async def both_sent():
        return len(replies(whatsapp, phone)) == 2

    await wait_until(both_sent, what="both answers sent")


async def test_status_by_sms_is_answered_by_sms(
    shop: ChatHub, client: HubClient, sms: SmsGatewayStub, whatsapp: WhatsAppCloudStub
):
    phone = new_phone()
    order = await order_for(client, shop, phone, quantity=2)
    await sms.inbound(phone, "Status")

    async def answered():
        return [d for d in sms.to(phone) if order["code"] in (d.text or "")]

    [reply] = await wait_until(answered, what="the SMS answer to STATUS")
    assert f"{order['code']}: 2 {shop.product}" in reply.text
    assert replies(whatsapp, phone) == [], "answered only by the channel written on"
