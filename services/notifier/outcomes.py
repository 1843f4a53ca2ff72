"""What became of a message, written where the message log and the rest of the system see it:
one row per attempt, and `notification.sent` / `notification.failed` through the outbox; and
counted for `GET /metrics`.

The counts move in the transaction that writes the rows: the rare commit that then fails counts
an attempt the log does not keep (the lease brings the message back, and it is tried again).
"""

import asyncpg
from prometheus_client import Counter

from services.notifier import store
from shared import outbox
from shared.events import Envelope, EventPayload, NotificationFailed, NotificationSent

SERVICE = "notifier"
ATTEMPTS = Counter(
    "plut_message_attempts_total",
    "Attempts to send a message, by channel and outcome (accepted, temporary, unknown, "
    "permanent, opted_out).",
    ["service", "channel", "outcome"],
)
MESSAGES = Counter(
    "plut_messages_total",
    "Messages that reached their end, by channel and outcome: sent, or failed for good "
    "(channel `none` when no channel could take it).",
    ["service", "channel", "outcome"],
)


async def record_attempt(
    conn: asyncpg.Connection,
    message: asyncpg.Record,
    channel: str,
    outcome: str,
    answer: str,
    provider_id: str | None = None,
) -> None:
    await conn.execute(store.ATTEMPT_INSERT, message["id"], channel, outcome, answer, provider_id)
    ATTEMPTS.labels(SERVICE, channel, outcome).inc()


async def announce_sent(conn: asyncpg.Connection, message: asyncpg.Record, channel: str) -> None:
    await _announce(conn, message, NotificationSent, channel=channel)
    MESSAGES.labels(SERVICE, channel, "sent").inc()


async def announce_failed(
    conn: asyncpg.Connection, message: asyncpg.Record, channel: str | None, reason: str
) -> None:
    await _announce(conn, message, NotificationFailed, channel=channel or "none", reason=reason)
    MESSAGES.labels(SERVICE, channel or "none", "failed").inc()


async def _announce(
    conn: asyncpg.Connection, message: asyncpg.Record, event: type[EventPayload], **fields
) -> None:
    payload = event(
        message_id=message["id"],
        template=message["template"],
        order_id=message["order_id"],
        producer_id=message["producer_id"],
        **fields,
    )
    envelope = Envelope.wrap(
        payload,
        hub=message["hub"],
        correlation_id=message["correlation_id"],
        causation_id=message["event_id"],
    )
    await outbox.add(conn, envelope)
