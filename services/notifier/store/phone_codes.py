"""A one-time code to a phone: its own recipient and message, written at once."""

import uuid

import asyncpg

from services.notifier.store.wakeups import RING_ROUTER

TEMPLATE = "phone_code"

# The recipient is this one message's: a code is never sent again, and a phone checked twice
# is two recipients, so nothing ties one check to another here. Due a day ago: the senders take
# the earliest due first, so the code overtakes every message that has not given up yet.
PHONE_CODE_INSERT = f"""
WITH recipient AS (
    INSERT INTO recipients (key, kind, name, phone, language, channel)
    VALUES ($2, 'phone_check', $3, $4, $5, 'whatsapp')
), message AS (
    INSERT INTO messages (id, event_id, correlation_id, hub, recipient_key, template, params,
                          next_attempt_at)
    VALUES ($1, $1, $6, $7, $2, '{TEMPLATE}', $8::jsonb, now() - interval '1 day')
)
{RING_ROUTER}
"""


async def add_phone_code(
    conn: asyncpg.Connection,
    *,
    hub: str,
    phone: str,
    name: str,
    code: str,
    language: str,
    correlation_id: str,
) -> uuid.UUID:
    """The code's message, queued ahead of every other; answers its id."""
    message_id = uuid.uuid4()
    await conn.execute(
        PHONE_CODE_INSERT,
        message_id,
        f"phone_check:{message_id}",
        name,
        phone,
        language,
        correlation_id,
        hub,
        {"code": code},
    )
    return message_id
