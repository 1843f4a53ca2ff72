"""What became of messages, as the rest of the system hears it (`notification.sent` /
`notification.failed`) and as `GET /metrics` counts it. Pure but for the counters.

The counts move when the rows are written, in their transaction: the rare commit that then
fails counts an attempt the log does not keep (the lease brings the message back)."""

import uuid
from collections import Counter as Tally
from collections.abc import Iterable
from typing import Protocol

from prometheus_client import Counter

from services.notifier.store.attempts import Attempt
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


class Told(Protocol):
    """What an event about a message names of it."""

    id: uuid.UUID
    event_id: uuid.UUID
    correlation_id: str
    hub: str
    template: str
    order_id: uuid.UUID | None
    producer_id: uuid.UUID | None


def sent_event(message: Told, channel: str) -> Envelope:
    return _event(message, NotificationSent, channel=channel)


def failed_event(message: Told, channel: str | None, reason: str) -> Envelope:
    return _event(message, NotificationFailed, channel=channel or "none", reason=reason)


def count_attempts(attempts: Iterable[Attempt]) -> None:
    for (channel, outcome), count in Tally((a.channel, a.outcome) for a in attempts).items():
        ATTEMPTS.labels(SERVICE, channel, outcome).inc(count)


def count_ended(events: Iterable[Envelope]) -> None:
    """Messages sent or failed for good, by the events that say so."""
    ended = Tally(
        (e.payload["channel"], "sent" if e.type == NotificationSent.type else "failed")
        for e in events
    )
    for (channel, outcome), count in ended.items():
        MESSAGES.labels(SERVICE, channel, outcome).inc(count)


def _event(message: Told, event: type[EventPayload], **fields) -> Envelope:
    payload = event(
        message_id=message.id,
        template=message.template,
        order_id=message.order_id,
        producer_id=message.producer_id,
        **fields,
    )
    return Envelope.wrap(
        payload,
        hub=message.hub,
        correlation_id=message.correlation_id,
        causation_id=message.event_id,
    )
