"""A consumed message taken apart into its events (shared/events/batch.py), each with what it
is parked as if it must be, alone."""

from dataclasses import dataclass

from aio_pika.abc import AbstractIncomingMessage
from pydantic import ValidationError

from shared.event_handlers import Event
from shared.events import BATCH_CONTENT_TYPE, Envelope, UnknownEvent, Unreadable, events_in


@dataclass(frozen=True)
class Delivery:
    """One event of a message, and how it is parked alone if it must be."""

    message: AbstractIncomingMessage
    event: Event | Unreadable
    body: bytes | None  # as parked; None: the envelope's own JSON, made only if needed
    message_id: str


def deliveries_of(message: AbstractIncomingMessage) -> list[Delivery]:
    """The events a message carries. A single-event message is parked as it came; an event of
    a batch is parked as one event under its own id. Whatever a message holds, reading it never
    raises: that would stop the consumer."""
    try:
        return _read(message)
    except Exception as error:  # noqa: BLE001 - parked with the reason, never lost
        unreadable = Unreadable(message.body, None, f"unreadable message: {error!r}")
        return [Delivery(message, unreadable, message.body, message.message_id or "")]


def _read(message: AbstractIncomingMessage) -> list[Delivery]:
    batch = message.content_type == BATCH_CONTENT_TYPE
    parts = events_in(message.body, message.content_type)
    deliveries = []
    for index, part in enumerate(parts):
        if isinstance(part, Envelope):
            try:
                part = Event(part, part.read())
            except (ValidationError, UnknownEvent) as error:
                body = part.model_dump_json().encode()
                part = Unreadable(body, str(part.id), f"unreadable event: {error}")
        if not batch:
            body, message_id = message.body, message.message_id or ""
        else:
            own_id = part.envelope.id if isinstance(part, Event) else part.event_id
            fallback = message.message_id if len(parts) == 1 else f"{message.message_id}/{index}"
            body = part.body if isinstance(part, Unreadable) else None
            message_id = str(own_id) if own_id else fallback or ""
        deliveries.append(Delivery(message, part, body, message_id))
    return deliveries
