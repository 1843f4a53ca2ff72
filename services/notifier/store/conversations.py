"""The conversation's records in the notifier's database (`handling.ChatStore`), on the
connection and in the transaction of the inbound message's handling: where each number's
conversation stands, the opt-outs, what the notifier knows of the number's orders, and the
replies, recorded as messages the router and the senders take after commit."""

import uuid

import asyncpg

from services.notifier.conversations import replies
from services.notifier.conversations.handling import Hub, Inbound, KnownOrder
from services.notifier.conversations.replies import Reply
from services.notifier.conversations.state import Conversation, Step
from services.notifier.handlers.route import CHAT
from services.notifier.store import opt_outs
from services.notifier.store.wakeups import RING_ROUTER
from shared.pruning import deleting
from shared.web import current_correlation_id

# A number silent that long starts afresh (its language too): the row holds nothing else kept.
FORGET_CONVERSATIONS = deleting("conversations", "updated_at < now() - $1::interval")
# The number's row, made on its first message and held until commit: two messages of one
# number are answered one after the other, each seeing where the other left it.
CONVERSATION = """
INSERT INTO conversations (phone) VALUES ($1)
ON CONFLICT (phone) DO UPDATE SET phone = excluded.phone
RETURNING phone, language, step, choices, updated_at, helped_at, minute_from, handled_in_minute,
          slowed_at
"""
CONVERSATION_SAVE = """
UPDATE conversations
SET step = $2, choices = $3::jsonb, updated_at = $4, helped_at = $5, minute_from = $6,
    handled_in_minute = $7, slowed_at = $8, language = $9
WHERE phone = $1
"""
# The number's orders, newest first: as buyer of each (order.placed tells the phone).
ORDERS_OF = """
SELECT key, order_code FROM recipients
WHERE kind = 'buyer' AND phone = $1
ORDER BY registered_at DESC
LIMIT $2
"""
LANGUAGE_OF = """
SELECT language FROM recipients WHERE kind = 'buyer' AND phone = $1
ORDER BY registered_at DESC LIMIT 1
"""
HUBS = "SELECT code, name, timezone FROM hubs ORDER BY name, code"
PRODUCTS = "SELECT sku, name FROM products WHERE hub = $1 ORDER BY name, sku"
# A reply: its own recipient (the number, by the channel it wrote on) and its message, due
# before the notifications waiting (a person is waiting on the other side). Its hub is the one
# the conversation is about, else any the notifier knows: an event must name one. A reply about
# an order names it, so the order's message log shows the chat.
REPLY_INSERT = f"""
WITH recipient AS (
    INSERT INTO recipients (key, kind, name, phone, language, channel)
    VALUES ($2, '{CHAT}', $3, $4, $5, $6)
), message AS (
    INSERT INTO messages (id, event_id, correlation_id, hub, recipient_key, template, params,
                          order_id, next_attempt_at)
    VALUES ($1, $1, $7, coalesce($8, (SELECT min(code) FROM hubs), 'plut'), $2,
            '{replies.TEMPLATE}', $9::jsonb, $10, now() - interval '1 day')
)
{RING_ROUTER}
"""
# A message that answered the NIK step: its text goes, in the handling's transaction.
FORGET_TEXT = "UPDATE inbound_messages SET text = NULL WHERE channel = $1 AND provider_id = $2"
MOST_ORDERS = 10  # what a STATUS reads at the most: one message, a few orders


class ChatRecords:
    """`handling.ChatStore` on a connection, inside the handling's transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def conversation(self, phone: str) -> Conversation:
        row = await self._conn.fetchrow(CONVERSATION, phone)
        return Conversation(**{**row, "step": Step(row["step"]) if row["step"] else None})

    async def save(self, conversation: Conversation) -> None:
        c = conversation
        await self._conn.execute(
            CONVERSATION_SAVE,
            c.phone,
            c.step.value if c.step else None,
            c.choices,
            c.updated_at,
            c.helped_at,
            c.minute_from,
            c.handled_in_minute,
            c.slowed_at,
            c.language,
        )

    async def language_of(self, phone: str) -> str | None:
        return await self._conn.fetchval(LANGUAGE_OF, phone)

    async def opt_out(self, channel: str, phone: str) -> None:
        await opt_outs.add(self._conn, channel, phone)

    async def opt_in(self, channel: str, phone: str) -> None:
        row = await self._conn.fetchrow(opt_outs.OPT_OUT, channel, phone)
        if row is not None:
            await opt_outs.remove(self._conn, row["id"])

    async def orders_of(self, phone: str) -> list[KnownOrder]:
        rows = await self._conn.fetch(ORDERS_OF, phone, MOST_ORDERS)
        return [
            KnownOrder(uuid.UUID(row["key"].removeprefix("buyer:")), row["order_code"])
            for row in rows
        ]

    async def hubs(self) -> list[Hub]:
        return [Hub(*row) for row in await self._conn.fetch(HUBS)]

    async def products(self, hub: str) -> dict[str, str]:
        return {row["sku"]: row["name"] for row in await self._conn.fetch(PRODUCTS, hub)}

    async def forget_text(self, inbound: Inbound) -> None:
        await self._conn.execute(FORGET_TEXT, inbound.channel, inbound.provider_id)

    async def reply(
        self,
        to: Inbound,
        reply: Reply,
        language: str,
        hub: str | None,
        order_id: uuid.UUID | None = None,
    ) -> None:
        message_id = uuid.uuid4()
        await self._conn.execute(
            REPLY_INSERT,
            message_id,
            f"{CHAT}:{message_id}",
            to.name or "",
            to.phone,
            language,
            to.channel,
            current_correlation_id(),  # the inbound message's, as the worker binds it
            hub,
            reply.as_params(),
            order_id,
        )
