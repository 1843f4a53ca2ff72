"""A product's pre-order window opened again, told to a phone that asked the buyers' site to be
told (issue 21): as a phone code (store/phone_codes.py), a recipient of its own for this one
message, but due now, behind the codes and the messages already waiting. Its id is the
caller's: asked again (its answer lost), it is the same message."""

import uuid

import asyncpg

from services.notifier.store.wakeups import RING_ROUTER

TEMPLATE = "window_opened"

WINDOW_NOTICE_INSERT = f"""
WITH recipient AS (
    INSERT INTO recipients (key, kind, name, phone, language, channel)
    VALUES ($2, 'phone_check', $3, $4, $5, 'whatsapp')
    ON CONFLICT (key) DO NOTHING
), message AS (
    INSERT INTO messages (id, event_id, correlation_id, hub, recipient_key, template, params,
                          next_attempt_at)
    VALUES ($1, $1, $6, $7, $2, '{TEMPLATE}', $8::jsonb, now())
    ON CONFLICT DO NOTHING
)
{RING_ROUTER}
"""


async def add_window_notice(
    conn: asyncpg.Connection,
    *,
    message_id: uuid.UUID,
    hub: str,
    phone: str,
    name: str,
    language: str,
    correlation_id: str,
    params: dict[str, str],
) -> uuid.UUID:
    """The notice `message_id`, recorded once however often it is asked."""
    await conn.execute(
        WINDOW_NOTICE_INSERT,
        message_id,
        f"window_notice:{message_id}",
        name,
        phone,
        language,
        correlation_id,
        hub,
        params,
    )
    return message_id
