"""The SQL of WhatsApp's statuses applied to messages (`services.notifier.inbound.statuses`
says the rules): the claim of a batch, and the messages it marks sent or sends back to the
router."""

import uuid

import asyncpg

# A batch of statuses, marked applied and tied to our message: by its id as Meta echoed it, else
# by the wamid of one of its attempts.
CLAIM = """
WITH claimed AS (
    SELECT id FROM whatsapp_statuses WHERE applied_at IS NULL ORDER BY id LIMIT $1
    FOR UPDATE SKIP LOCKED
)
UPDATE whatsapp_statuses s
SET applied_at = now(),
    message_id = coalesce(
        (SELECT m.id FROM messages m WHERE m.id = s.message_id),
        (SELECT a.message_id FROM delivery_attempts a
         WHERE a.channel = 'whatsapp' AND a.provider_id = s.provider_id LIMIT 1))
FROM claimed
WHERE s.id = claimed.id
RETURNING s.id, s.provider_id, s.status, s.error_code, s.error_title, s.message_id
"""
REPORTED_SENT = """
UPDATE messages m
SET status = 'sent', sent_at = now(), provider_id = told.provider_id, last_error = NULL
FROM unnest($1::uuid[], $2::text[]) AS told(id, provider_id)
WHERE m.id = told.id AND m.status = 'pending' AND m.channel = 'whatsapp'
RETURNING m.id, m.event_id, m.correlation_id, m.hub, m.template, m.order_id, m.producer_id
"""
REPORTED_FAILED = """
UPDATE messages m
SET status = 'pending', channel = NULL, sent_at = NULL, provider_id = NULL,
    last_error = told.answer, next_attempt_at = now(), attempts = m.attempts + 1,
    failed_channels = array_append(m.failed_channels, 'whatsapp')
FROM unnest($1::uuid[], $2::text[], $3::text[]) AS told(id, provider_id, answer)
WHERE m.id = told.id AND m.channel = 'whatsapp'
  AND (m.status = 'pending' OR (m.status = 'sent' AND m.provider_id = told.provider_id))
  AND NOT EXISTS (SELECT 1 FROM whatsapp_statuses p
                  WHERE p.provider_id = told.provider_id AND p.status IN ('delivered', 'read'))
RETURNING m.id, told.provider_id, told.answer
"""


async def claim(conn: asyncpg.Connection, most: int) -> list[asyncpg.Record]:
    """Up to `most` statuses not applied yet, oldest first, marked applied and tied to ours."""
    return await conn.fetch(CLAIM, most)


async def mark_sent(
    conn: asyncpg.Connection, message_ids: list[uuid.UUID], provider_ids: list[str]
) -> list[asyncpg.Record]:
    """Those of the messages still pending on WhatsApp, now sent; as their events name them."""
    return await conn.fetch(REPORTED_SENT, message_ids, provider_ids)


async def mark_failed(
    conn: asyncpg.Connection,
    message_ids: list[uuid.UUID],
    provider_ids: list[str],
    answers: list[str],
) -> list[asyncpg.Record]:
    """Those of the messages whose WhatsApp send failed and got nowhere, back to the router."""
    return await conn.fetch(REPORTED_FAILED, message_ids, provider_ids, answers)
