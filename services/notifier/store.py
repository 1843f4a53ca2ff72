"""The notifier's SQL."""

import uuid
from typing import Any

import asyncpg

from services.notifier.dates import DEFAULT_TIMEZONE
from shared.events import Envelope

# Rung when a message or a recipient arrives, so the dispatcher looks at once.
MESSAGES_CHANNEL = "notifier_messages"
RING = f"SELECT pg_notify('{MESSAGES_CHANNEL}', '')"

PRODUCT_UPSERT = """
INSERT INTO products (hub, sku, name) VALUES ($1, $2, $3)
ON CONFLICT (hub, sku) DO UPDATE SET name = excluded.name
"""
PRODUCT_NAME = "SELECT name FROM products WHERE hub = $1 AND sku = $2"

HUB_UPSERT = """
INSERT INTO hubs (code, name, timezone) VALUES ($1, $2, $3)
ON CONFLICT (code) DO UPDATE SET name = excluded.name, timezone = excluded.timezone
"""
HUB_TIMEZONE = "SELECT timezone FROM hubs WHERE code = $1"

RECIPIENT_UPSERT = """
INSERT INTO recipients (key, kind, name, email, phone) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (key) DO UPDATE
SET name = excluded.name, email = excluded.email, phone = excluded.phone
"""

MESSAGE_INSERT = """
INSERT INTO messages (id, event_id, correlation_id, hub, recipient_key, template, params,
                      order_id, producer_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (event_id, recipient_key, template) DO NOTHING
"""

# Due messages whose recipient is known; several dispatchers share them with SKIP LOCKED.
MESSAGES_DUE = """
SELECT m.id, m.event_id, m.correlation_id, m.hub, m.template, m.channel, m.params, m.attempts,
       m.order_id, m.producer_id, m.recipient_key, r.name AS recipient_name,
       r.email AS recipient_email
FROM messages m JOIN recipients r ON r.key = m.recipient_key
WHERE m.status = 'pending' AND m.next_attempt_at <= now()
ORDER BY m.next_attempt_at
LIMIT $1
FOR UPDATE OF m SKIP LOCKED
"""
MESSAGE_SENT = """
UPDATE messages SET status = 'sent', attempts = attempts + 1, sent_at = now(), address = $2,
                    last_error = NULL
WHERE id = $1
"""
MESSAGE_SKIPPED = "UPDATE messages SET status = 'skipped', last_error = $2 WHERE id = $1"
MESSAGE_FAILED = """
UPDATE messages SET status = 'failed', attempts = attempts + 1, last_error = $2 WHERE id = $1
"""
MESSAGE_RETRY_LATER = """
UPDATE messages SET attempts = attempts + 1, last_error = $2,
                    next_attempt_at = now() + make_interval(secs => $3)
WHERE id = $1
"""

MESSAGES_OF = """
SELECT m.id, m.template, m.channel, m.status, m.attempts, m.last_error, m.created_at, m.sent_at,
       m.order_id, m.producer_id, m.recipient_key, r.kind AS recipient_kind,
       r.name AS recipient_name, coalesce(m.address, r.email) AS recipient_email
FROM messages m LEFT JOIN recipients r ON r.key = m.recipient_key
WHERE {column} = $1
ORDER BY m.created_at, m.id
"""
MESSAGES_OF_ORDER = MESSAGES_OF.format(column="m.order_id")
MESSAGES_OF_PRODUCER = MESSAGES_OF.format(column="m.producer_id")


def producer_key(producer_id: uuid.UUID) -> str:
    return f"producer:{producer_id}"


def buyer_key(order_id: uuid.UUID) -> str:
    return f"buyer:{order_id}"


async def add_recipient(
    conn: asyncpg.Connection,
    key: str,
    kind: str,
    name: str,
    email: str | None,
    phone: str | None,
) -> None:
    await conn.execute(RECIPIENT_UPSERT, key, kind, name, email, phone)
    await conn.execute(RING)


async def add_message(
    conn: asyncpg.Connection,
    cause: Envelope,
    *,
    recipient_key: str,
    template: str,
    params: dict[str, Any],
    order_id: uuid.UUID | None = None,
    producer_id: uuid.UUID | None = None,
) -> None:
    await conn.execute(
        MESSAGE_INSERT,
        uuid.uuid4(),
        cause.id,
        cause.correlation_id,
        cause.hub,
        recipient_key,
        template,
        params,
        order_id,
        producer_id,
    )
    await conn.execute(RING)


async def product_name(conn: asyncpg.Connection, hub: str, sku: str) -> str:
    return await conn.fetchval(PRODUCT_NAME, hub, sku) or sku


async def hub_timezone(conn: asyncpg.Connection, hub: str) -> str:
    """The hub's time zone; a hub not heard of yet keeps the founding hub's."""
    return await conn.fetchval(HUB_TIMEZONE, hub) or DEFAULT_TIMEZONE
