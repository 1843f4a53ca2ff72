"""What became of a message, written where the message log and the rest of the system see it:
one row per attempt, and `notification.sent` / `notification.failed` through the outbox."""

import asyncpg

from services.notifier import store
from shared import outbox
from shared.events import Envelope, EventPayload, NotificationFailed, NotificationSent


async def record_attempt(
    conn: asyncpg.Connection,
    message: asyncpg.Record,
    channel: str,
    outcome: str,
    answer: str,
    provider_id: str | None = None,
) -> None:
    await conn.execute(store.ATTEMPT_INSERT, message["id"], channel, outcome, answer, provider_id)


async def announce_sent(conn: asyncpg.Connection, message: asyncpg.Record, channel: str) -> None:
    await _announce(conn, message, NotificationSent, channel=channel)


async def announce_failed(
    conn: asyncpg.Connection, message: asyncpg.Record, channel: str | None, reason: str
) -> None:
    await _announce(conn, message, NotificationFailed, channel=channel or "none", reason=reason)


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
