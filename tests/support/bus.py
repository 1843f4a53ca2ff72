"""Test access to the bus: watch every event, publish events as another service would (one per
message, as before batches, or a batch per message, as the outbox relay does)."""

import asyncio
import time
from collections.abc import Callable

from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

from shared.bus import publish
from shared.events import BATCH_CONTENT_TYPE, Envelope, batch_body, events_in
from shared.topology import EXCHANGE


class EventTap:
    """An exclusive queue bound to every routing key: sees each event the services publish
    (those nobody consumes are never published), each event of a batch message apart."""

    def __init__(self) -> None:
        self.events: list[Envelope] = []
        self._arrived = asyncio.Event()

    async def open(self, connection: AbstractRobustConnection) -> "EventTap":
        self._channel = await connection.channel()
        exchange = await self._channel.get_exchange(EXCHANGE)
        queue = await self._channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key="#")
        await queue.consume(self._on_message, no_ack=True)
        return self

    async def close(self) -> None:
        await self._channel.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        for event in events_in(message.body, message.content_type):
            if isinstance(event, Envelope):  # not the poison a test publishes
                self.events.append(event)
        self._arrived.set()

    def of_hub(self, hub: str) -> list[Envelope]:
        return [event for event in self.events if event.hub == hub]

    async def wait_for(
        self, predicate: Callable[[Envelope], bool], *, what: str, timeout: float = 10.0
    ) -> Envelope:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if predicate(event):
                    return event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no event {what} within {timeout}s")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                pass


async def publish_raw(
    connection: AbstractRobustConnection,
    body: bytes,
    routing_key: str,
    message_id: str = "raw",
    content_type: str = "application/json",
) -> None:
    """Publish bytes as if they were an event (or a batch), with a broker confirm."""
    async with connection.channel() as channel:
        exchange = await channel.get_exchange(EXCHANGE)
        await publish(
            exchange,
            body=body,
            routing_key=routing_key,
            message_id=message_id,
            correlation_id="test",
            event_type=routing_key,
            content_type=content_type,
        )


async def publish_event(connection: AbstractRobustConnection, event: Envelope) -> None:
    await publish_raw(connection, event.model_dump_json().encode(), event.type, str(event.id))


async def publish_batch(connection: AbstractRobustConnection, *events: Envelope) -> None:
    """Events of one type as one batch message, as the outbox relay sends them."""
    body = batch_body([event.model_dump_json().encode() for event in events])
    await publish_raw(connection, body, events[0].type, str(events[0].id), BATCH_CONTENT_TYPE)


async def dead_letters(connection: AbstractRobustConnection, service: str) -> list:
    """Everything now waiting in a service's dead-letter queue (taken off it)."""
    taken = []
    async with connection.channel() as channel:
        queue = await channel.get_queue(f"{service}.dead-letter")
        while (message := await queue.get(fail=False, no_ack=True)) is not None:
            taken.append(message)
    return taken
