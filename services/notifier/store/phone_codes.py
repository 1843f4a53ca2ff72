"""Messages to a bare phone, as the buyers' site asks for them: a one-time code, and a
product's pre-order window opened again. Each is its own recipient (kind 'phone_check') and
message, written at once: nothing ties one to another here."""

import uuid

import asyncpg

from services.notifier.store.wakeups import RING_ROUTER

# A message asked again under its id (its answer lost) is the same message. Due a day ago when
# it goes ahead of the rest: the senders take the earliest due first, so a code overtakes every
# message that has not given up yet; else due now, behind those already waiting.
TO_PHONE_INSERT = f"""
WITH recipient AS (
    INSERT INTO recipients (key, kind, name, phone, language, channel)
    VALUES ($2, 'phone_check', $3, $4, $5, 'whatsapp')
    ON CONFLICT (key) DO NOTHING
), message AS (
    INSERT INTO messages (id, event_id, correlation_id, hub, recipient_key, template, params,
                          next_attempt_at)
    VALUES ($1, $1, $6, $7, $2, $8, $9::jsonb,
            now() - CASE WHEN $10 THEN interval '1 day' ELSE interval '0' END)
    ON CONFLICT DO NOTHING
)
{RING_ROUTER}
"""


async def add_to_phone(
    conn: asyncpg.Connection,
    *,
    message_id: uuid.UUID,
    template: str,
    ahead: bool,
    hub: str,
    phone: str,
    name: str,
    language: str,
    correlation_id: str,
    params: dict[str, str],
) -> uuid.UUID:
    """The message `message_id`, recorded once however often it is asked; answers its id."""
    await conn.execute(
        TO_PHONE_INSERT,
        message_id,
        f"phone_check:{message_id}",
        name,
        phone,
        language,
        correlation_id,
        hub,
        template,
        params,
        ahead,
    )
    return message_id
