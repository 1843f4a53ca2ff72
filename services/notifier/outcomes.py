"""What became of messages, written where the message log and the rest of the system see it:
one row per attempt, and `notification.sent` / `notification.failed` through the outbox; and
counted for `GET /metrics`.

The counts move in the transaction that writes the rows: the rare commit that then fails counts
an attempt the log does not keep (the lease brings the message back, and it is tried again).
"""

import uuid
from collections import Counter as Tally
from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Attempt:
    message_id: uuid.UUID
    channel: str
    outcome: str  # accepted, temporary, unknown, permanent or opted_out
    answer: str  # what the provider said, or why the channel was passed over
    provider_id: str | None = None


async def record_attempts(conn: asyncpg.Connection, attempts: Sequence[Attempt]) -> None:
    if not attempts:
        return
    await conn.execute(
        store.ATTEMPTS_INSERT,
        [a.message_id for a in attempts],
        [a.channel for a in attempts],
        [a.outcome for a in attempts],
        [a.answer for a in attempts],
        [a.provider_id for a in attempts],
    )
    for (channel, outcome), count in Tally((a.channel, a.outcome) for a in attempts).items():
        ATTEMPTS.labels(SERVICE, channel, outcome).inc(count)


async def announce_sent(
    conn: asyncpg.Connection, messages: Sequence[asyncpg.Record], channel: str
) -> None:
    await outbox.add(conn, *(_event(m, NotificationSent, channel=channel) for m in messages))
    MESSAGES.labels(SERVICE, channel, "sent").inc(len(messages))


async def announce_failed(
    conn: asyncpg.Connection, message: asyncpg.Record, channel: str | None, reason: str
) -> None:
    event = _event(message, NotificationFailed, channel=channel or "none", reason=reason)
    await outbox.add(conn, event)
    MESSAGES.labels(SERVICE, channel or "none", "failed").inc()


def _event(message: asyncpg.Record, event: type[EventPayload], **fields) -> Envelope:
    payload = event(
        message_id=message["id"],
        template=message["template"],
        order_id=message["order_id"],
        producer_id=message["producer_id"],
        **fields,
    )
    return Envelope.wrap(
        payload,
        hub=message["hub"],
        correlation_id=message["correlation_id"],
        causation_id=message["event_id"],
    )
