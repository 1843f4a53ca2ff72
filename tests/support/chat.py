"""Conversations by chat as the tests drive them: a hub the notifier may take chat orders in,
with the notifier's own partner key (the test stack's notifier restarted with it), and reads of
what the WhatsApp stand-in was sent back, waited for as they come."""

import asyncio
from dataclasses import dataclass

import aiohttp
import asyncpg

from tests.support.provider_stubs import WhatsAppCloudStub
from tests.support.stack import Stack
from tests.support.stack_env import OPERATOR_TOKEN
from tests.support.whatsapp_webhooks import Reply
from tools.client import HubClient, new_hub_code, wait_until

# As the README has operators give the chat's key (and the buyers' site's).
SCOPES = [
    "orders:write",
    "orders:read",
    "orders:track",
    "orders:cancel-verified",
    "programmes:apply",
]


@dataclass(frozen=True)
class ChatHub:
    hub: str  # its code
    name: str
    sku: str
    product: str
    partner_key: str  # the notifier's: it reads the orders placed by chat, and no others


async def chat_hub(stack: Stack, database_url: str) -> ChatHub:
    """A new hub with one product, and chat orders taken there (`chat_on`)."""
    async with aiohttp.ClientSession() as session:
        client = HubClient(session, stack.urls(), operator_token=OPERATOR_TOKEN)
        code = new_hub_code("chat")
        await client.open_hub(code)
    return await chat_on(stack, database_url, code)


async def chat_on(stack: Stack, database_url: str, code: str) -> ChatHub:
    """The notifier's partner key for an open hub (the scopes the README gives), and the
    stack's notifier restarted to take chat orders there with that key, once it has heard of
    the hub and its product. Chat orders are then taken in that hub alone."""
    async with aiohttp.ClientSession() as session:
        client = HubClient(session, stack.urls(), operator_token=OPERATOR_TOKEN)
        partner = await client.create_partner(
            f"Chat {code}", [code], scopes=SCOPES, buyer_types=["individual"]
        )
    conn = await asyncpg.connect(database_url)
    try:

        async def known() -> bool:
            return bool(
                await conn.fetchval("SELECT count(*) FROM notifier.products WHERE hub = $1", code)
                and await conn.fetchval("SELECT count(*) FROM notifier.hubs WHERE code = $1", code)
            )

        await wait_until(known, what=f"the notifier knowing hub {code}")
    finally:
        await conn.close()
    notifier = stack["notifier"]
    await asyncio.to_thread(notifier.stop)
    notifier.env = {
        **notifier.env,
        "NOTIFIER_ORDERS_KEY": partner["api_key"],
        "CHAT_HUBS": code,
    }
    notifier.start()
    await notifier.wait_ready()
    return ChatHub(code, f"PLUT {code}", "masker-kain", "Masker kain 3 lapis", partner["api_key"])


def replies(whatsapp: WhatsAppCloudStub, phone: str) -> list[Reply]:
    """The free-form messages the number was sent, oldest first."""
    return whatsapp.replies_to(phone.lstrip("+"))


async def next_reply(whatsapp: WhatsAppCloudStub, phone: str, seen: int) -> Reply:
    """The reply after the first `seen` ones, once it came."""

    async def came() -> Reply | None:
        sent = replies(whatsapp, phone)
        return sent[seen] if len(sent) > seen else None

    return await wait_until(came, what=f"reply {seen + 1} to the chat")


class Chat:
    """One person writing to the hub on WhatsApp, reading each answer as it comes."""

    def __init__(self, whatsapp: WhatsAppCloudStub, phone: str, name: str = "Siti Aminah"):
        self.whatsapp = whatsapp
        self.phone = phone
        self.name = name

    async def says(self, text: str) -> Reply:
        seen = len(replies(self.whatsapp, self.phone))
        await self.whatsapp.inbound_text(self.phone, text, name=self.name)
        return await next_reply(self.whatsapp, self.phone, seen)

    async def taps(self, reply_id: str, title: str = "Ya") -> Reply:
        seen = len(replies(self.whatsapp, self.phone))
        await self.whatsapp.button_reply(self.phone, reply_id, title, name=self.name)
        return await next_reply(self.whatsapp, self.phone, seen)

    async def picks(self, reply_id: str, title: str = "Pilihan") -> Reply:
        seen = len(replies(self.whatsapp, self.phone))
        await self.whatsapp.list_reply(self.phone, reply_id, title, name=self.name)
        return await next_reply(self.whatsapp, self.phone, seen)


async def order_by_chat(chat: Chat, shop: ChatHub, quantity: int, cap: int = 100) -> str:
    """PESAN through to the confirm button; answers the reply that tells the order. `cap`:
    the hub's daily cap per buyer, which bounds the quantity the chat asks for."""
    hubs = await chat.says("pesan")
    assert (f"hub:{shop.hub}", shop.name) in hubs.rows
    products = await chat.picks(f"hub:{shop.hub}", shop.name)
    assert products.rows == ((f"sku:{shop.sku}", shop.product),)
    ask = await chat.picks(f"sku:{shop.sku}", shop.product)
    assert f"1 sampai {cap}" in ask.text, "the hub's daily cap per buyer bounds it"
    confirm = await chat.says(str(quantity))
    assert [b[0] for b in confirm.buttons] == ["order:yes", "order:no"]
    return (await chat.taps("order:yes", "Ya, pesan")).text


def code_in(text: str) -> str:
    """The order's code, as the reply that tells a placed order names it."""
    return text.split("Kode: ", 1)[1].split("\n", 1)[0]
