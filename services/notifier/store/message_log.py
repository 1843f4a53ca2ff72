"""The message log as operators read it: an order's or a producer's messages, every attempt at
each, and the statuses WhatsApp reported of them."""

import uuid

import asyncpg

MESSAGES_OF = """
SELECT m.id, m.template, m.channel, m.language, m.status, m.attempts, m.last_error,
       m.created_at, m.sent_at, m.provider_id, m.order_id, m.producer_id, m.recipient_key,
       r.kind AS recipient_kind, r.name AS recipient_name, m.address
FROM messages m LEFT JOIN recipients r ON r.key = m.recipient_key
WHERE {column} = $1
ORDER BY m.seq
"""
MESSAGES_OF_ORDER = MESSAGES_OF.format(column="m.order_id")
MESSAGES_OF_PRODUCER = MESSAGES_OF.format(column="m.producer_id")
ATTEMPTS_OF = """
SELECT message_id, channel, outcome, answer, provider_id, at FROM delivery_attempts
WHERE message_id = ANY($1::uuid[])
ORDER BY at, id
"""

STATUSES_OF = """
SELECT message_id, provider_id, status, error_code, error_title, at FROM whatsapp_statuses
WHERE message_id = ANY($1::uuid[])
ORDER BY at, id
"""


async def messages_of(
    conn: asyncpg.Connection, *, order_id: uuid.UUID | None, producer_id: uuid.UUID | None
) -> tuple[list[asyncpg.Record], list[asyncpg.Record], list[asyncpg.Record]]:
    """The messages about an order or to a producer, oldest first, their attempts, and what
    WhatsApp reported of them."""
    if order_id is not None:
        rows = await conn.fetch(MESSAGES_OF_ORDER, order_id)
    else:
        rows = await conn.fetch(MESSAGES_OF_PRODUCER, producer_id)
    ids = [row["id"] for row in rows]
    return rows, await conn.fetch(ATTEMPTS_OF, ids), await conn.fetch(STATUSES_OF, ids)
