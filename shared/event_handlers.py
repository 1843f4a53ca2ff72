"""What a service does with the events it consumes: its handlers, called a batch at a time in
the consumer's transaction, and the inbox that lets each event through once.

shared/consumer.py feeds them from the bus; tests call `handle_new` directly.
"""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import asyncpg
import structlog

from shared.events import Envelope, EventPayload


@dataclass(frozen=True)
class Event:
    """An event as a handler gets it: its envelope, and its payload read as the newest model."""

    envelope: Envelope
    payload: EventPayload


Handler = Callable[[asyncpg.Connection, Envelope, EventPayload], Awaitable[None]]
BatchHandler = Callable[[asyncpg.Connection, Sequence[Event]], Awaitable[None]]


class UnitOfWork(Protocol):
    """What a batch's handlers share: it holds their writes, and `flush` makes them."""

    async def flush(self) -> None: ...


Unit = TypeVar("Unit", bound=UnitOfWork)


@dataclass(frozen=True)
class EventHandlers:
    """What a service does with the events it consumes: one call per batch, in its transaction.

    Most services handle events one at a time (`each`); a service whose events are better
    handled together (the allocator fills a product's queue once for a batch) gives its own.
    """

    event_types: frozenset[str]
    handle_batch: BatchHandler

    @classmethod
    def each(cls, handlers: Mapping[str, Handler]) -> "EventHandlers":
        """Call `handlers[type]` for each event of the batch, in the order they arrived."""

        async def handle_batch(conn: asyncpg.Connection, events: Sequence[Event]) -> None:
            for event in events:
                with event_context(event.envelope):
                    await handlers[event.envelope.type](conn, event.envelope, event.payload)

        return cls(frozenset(handlers), handle_batch)

    @classmethod
    def each_in(
        cls,
        begin: Callable[[asyncpg.Connection], Unit],
        handlers: Mapping[str, Callable[[Unit, Envelope, EventPayload], Awaitable[None]]],
    ) -> "EventHandlers":
        """Like `each`, but the handlers add to one unit of work for the batch (`begin` makes
        it), which is flushed after the last event: a kind of write made once per batch rather
        than once per event. A handler that reads what is held flushes it first."""

        async def handle_batch(conn: asyncpg.Connection, events: Sequence[Event]) -> None:
            unit = begin(conn)
            for event in events:
                with event_context(event.envelope):
                    await handlers[event.envelope.type](unit, event.envelope, event.payload)
            await unit.flush()

        return cls(frozenset(handlers), handle_batch)


# Records the batch's event ids; answers those not seen before (a duplicate within the batch
# counts once).
INBOX_RECORD = """
INSERT INTO inbox (event_id, event_type)
SELECT * FROM unnest($1::uuid[], $2::text[])
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id
"""


async def handle_new(
    conn: asyncpg.Connection, events: Sequence[Event], handle_batch: BatchHandler
) -> list[Event]:
    """In the caller's transaction: record the events in the inbox, and hand those not seen
    before to `handle_batch`, each once, in the order they arrived. Answers those."""
    recorded = await conn.fetch(
        INBOX_RECORD, [e.envelope.id for e in events], [e.envelope.type for e in events]
    )
    new_ids = {row["event_id"] for row in recorded}
    fresh, taken = [], set()
    for event in events:
        if event.envelope.id in new_ids and event.envelope.id not in taken:
            taken.add(event.envelope.id)
            fresh.append(event)
    if fresh:
        await handle_batch(conn, fresh)
    return fresh


def event_context(envelope: Envelope):
    return structlog.contextvars.bound_contextvars(
        correlation_id=envelope.correlation_id,
        event_id=str(envelope.id),
        event_type=envelope.type,
        hub=envelope.hub,
    )
