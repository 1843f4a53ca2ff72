"""The notifier's SQL."""

import uuid
from dataclasses import dataclass

import asyncpg

from services.notifier.dates import DEFAULT_TIMEZONE

# Rung when a message or a recipient arrives, or a message must choose its channel again.
ROUTER_CHANNEL = "notifier_messages"
RING_ROUTER = f"SELECT pg_notify('{ROUTER_CHANNEL}', '')"


def lane_channel(channel: str) -> str:
    """The NOTIFY channel that wakes the sender of one channel ("whatsapp", "sms", "email")."""
    return f"notifier_{channel}"


PRODUCT_UPSERT = """
INSERT INTO products (hub, sku, name, unit_price) VALUES ($1, $2, $3, $4)
ON CONFLICT (hub, sku) DO UPDATE SET name = excluded.name, unit_price = excluded.unit_price
"""

HUB_UPSERT = """
INSERT INTO hubs (code, name, timezone) VALUES ($1, $2, $3)
ON CONFLICT (code) DO UPDATE SET name = excluded.name, timezone = excluded.timezone
"""
# A product and its hub as messages name them, in one round trip; either may be unknown yet.
PRODUCT_AT_HUB = """
SELECT p.name, p.unit_price, h.name AS hub_name, h.timezone
FROM (SELECT) AS one
LEFT JOIN products p ON p.hub = $1 AND p.sku = $2
LEFT JOIN hubs h ON h.code = $1
"""

# A batch's recipients and messages, each in one statement (one row per key: the caller
# merges), with the NOTIFY that wakes the router at commit, in the same round trip.
RECIPIENTS_UPSERT = f"""
WITH stored AS (
    INSERT INTO recipients (key, kind, name, email, phone, language, channel, order_code)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::text[], $7::text[], $8::text[])
    ON CONFLICT (key) DO UPDATE
    SET name = excluded.name, email = excluded.email, phone = excluded.phone,
        language = excluded.language, channel = excluded.channel,
        order_code = excluded.order_code
)
{RING_ROUTER}
"""

MESSAGES_INSERT = f"""
WITH stored AS (
    INSERT INTO messages (id, event_id, correlation_id, hub, recipient_key, template, params,
                          order_id, producer_id)
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::jsonb[], $8::uuid[], $9::uuid[])
    ON CONFLICT (event_id, recipient_key, template) DO NOTHING
)
{RING_ROUTER}
"""

# Messages waiting for a channel whose recipient is known; routers share them with SKIP LOCKED.
TO_ROUTE = """
SELECT m.id, m.event_id, m.correlation_id, m.hub, m.template, m.failed_channels, m.order_id,
       m.producer_id, r.phone, r.email, r.channel AS preferred, r.language
FROM messages m JOIN recipients r ON r.key = m.recipient_key
WHERE m.status = 'pending' AND m.channel IS NULL AND m.next_attempt_at <= now()
ORDER BY m.next_attempt_at
LIMIT $1
FOR UPDATE OF m SKIP LOCKED
"""
OPTED_OUT = "SELECT channel, address FROM opt_outs WHERE address = ANY($1::text[])"
# A batch's routed messages at once. Each keeps its place in its channel's line (senders take
# the earliest due first), so a phone code, due from before anything else, goes first.
ROUTED = """
UPDATE messages m
SET channel = routed.channel, address = routed.address, language = routed.language,
    routed_at = now(), next_attempt_at = least(m.next_attempt_at, now())
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])
    AS routed(id, channel, address, language)
WHERE m.id = routed.id
"""
ENDED = "UPDATE messages SET status = $2, last_error = $3 WHERE id = $1"

# Due messages of one channel, claimed for a lease: attempts counts the claim, and the outcome
# is written only while attempts is still that count (a claim whose lease ran out lost it).
CLAIM = """
WITH due AS (
    SELECT id FROM messages
    WHERE status = 'pending' AND channel = $1 AND next_attempt_at <= now()
    ORDER BY next_attempt_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE messages m
SET attempts = m.attempts + 1, next_attempt_at = now() + make_interval(secs => $3)
FROM due, recipients r
WHERE m.id = due.id AND r.key = m.recipient_key
RETURNING m.id, m.event_id, m.correlation_id, m.hub, m.template, m.channel, m.params,
          m.attempts, m.language, m.address, m.routed_at, m.order_id, m.producer_id,
          m.recipient_key, r.name AS recipient_name, r.order_code,
          EXISTS (SELECT 1 FROM opt_outs o WHERE o.channel = m.channel AND o.address = m.address)
              AS opted_out
"""
_STILL_OURS = "WHERE id = $1 AND attempts = $2 AND status = 'pending'\nRETURNING id"
# The sent ones of a batch at once; answers those still ours.
SENT = """
UPDATE messages m
SET status = 'sent', sent_at = now(), provider_id = sent.provider_id, last_error = NULL
FROM unnest($1::uuid[], $2::int[], $3::text[]) AS sent(id, attempts, provider_id)
WHERE m.id = sent.id AND m.attempts = sent.attempts AND m.status = 'pending'
RETURNING m.id
"""
RETRY_AT = f"UPDATE messages SET last_error = $3, next_attempt_at = $4\n{_STILL_OURS}"
GAVE_UP = f"UPDATE messages SET status = 'failed', last_error = $3\n{_STILL_OURS}"
# This channel cannot reach the person: back to the router, which takes the next one.
FALL_BACK = f"""
UPDATE messages SET channel = NULL, last_error = $3, next_attempt_at = now(),
                    failed_channels = array_append(failed_channels, channel)
{_STILL_OURS}
"""
# Opted out after the message was routed: back to the router, which passes over the channel.
REROUTE = f"""
UPDATE messages SET channel = NULL, last_error = $3, next_attempt_at = now()
{_STILL_OURS}
"""

ATTEMPTS_INSERT = """
INSERT INTO delivery_attempts (message_id, channel, outcome, answer, provider_id)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[])
"""

MESSAGES_OF = """
SELECT m.id, m.template, m.channel, m.language, m.status, m.attempts, m.last_error,
       m.created_at, m.sent_at, m.provider_id, m.order_id, m.producer_id, m.recipient_key,
       r.kind AS recipient_kind, r.name AS recipient_name, m.address
FROM messages m LEFT JOIN recipients r ON r.key = m.recipient_key
WHERE {column} = $1
ORDER BY m.created_at, m.id
"""
MESSAGES_OF_ORDER = MESSAGES_OF.format(column="m.order_id")
MESSAGES_OF_PRODUCER = MESSAGES_OF.format(column="m.producer_id")
ATTEMPTS_OF = """
SELECT message_id, channel, outcome, answer, provider_id, at FROM delivery_attempts
WHERE message_id = ANY($1::uuid[])
ORDER BY at, id
"""

OPT_OUT_INSERT = """
INSERT INTO opt_outs (id, channel, address) VALUES ($1, $2, $3)
ON CONFLICT (channel, address) DO NOTHING
RETURNING id, channel, address, opted_out_at
"""
OPT_OUT = (
    "SELECT id, channel, address, opted_out_at FROM opt_outs WHERE channel = $1 AND address = $2"
)
OPT_OUTS_OF = """
SELECT id, channel, address, opted_out_at FROM opt_outs WHERE address = $1 ORDER BY channel
"""
OPT_OUT_DELETE = "DELETE FROM opt_outs WHERE id = $1 RETURNING id, channel, address, opted_out_at"

# A batch's additions to producers' days, one row per day (the caller sums them).
PRODUCER_DAYS_ADD = """
INSERT INTO producer_days AS d (hub, sku, day, producer_id, delivered, accepted, rejected, sold,
                                returned, earned)
SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::uuid[], $5::int[], $6::int[],
                     $7::int[], $8::int[], $9::int[], $10::bigint[])
ON CONFLICT (hub, sku, day, producer_id) DO UPDATE
SET delivered = d.delivered + excluded.delivered, accepted = d.accepted + excluded.accepted,
    rejected = d.rejected + excluded.rejected, sold = d.sold + excluded.sold,
    returned = d.returned + excluded.returned, earned = d.earned + excluded.earned
"""
PRODUCER_DAYS = """
SELECT producer_id, delivered, accepted, rejected, sold, returned, earned FROM producer_days
WHERE hub = $1 AND sku = $2 AND day = $3
ORDER BY producer_id
"""


def producer_key(producer_id: uuid.UUID) -> str:
    return f"producer:{producer_id}"


def buyer_key(order_id: uuid.UUID) -> str:
    return f"buyer:{order_id}"


@dataclass(frozen=True)
class Product:
    name: str
    unit_price: int | None  # None until product.listed arrives


@dataclass(frozen=True)
class Hub:
    name: str
    timezone: str


async def product_at_hub(conn: asyncpg.Connection, hub: str, sku: str) -> tuple[Product, Hub]:
    """The product as listed and its hub as registered; one not heard of yet goes by its code
    (a hub in the founding hub's zone)."""
    row = await conn.fetchrow(PRODUCT_AT_HUB, hub, sku)
    return (
        Product(row["name"] or sku, row["unit_price"]),
        Hub(row["hub_name"] or hub, row["timezone"] or DEFAULT_TIMEZONE),
    )
