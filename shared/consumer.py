"""Consuming events: at-least-once delivery, exactly-once effect.

Each event is handled in one Postgres transaction that first records its id in the service's
inbox; a duplicate finds its id there and changes nothing. The message is acknowledged only
after that transaction commits. A message that can never be handled (not an envelope, an
unknown type, a handler that keeps failing) is copied to the service's dead-letter queue with
the reason and acknowledged, so the consumer goes on. Losing Postgres is not the message's
fault: the handler waits and retries for as long as it takes, and never dead-letters for it.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping

import asyncpg
import structlog
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue, AbstractRobustChannel
from aiormq.exceptions import AMQPError, ChannelInvalidStateError
from pydantic import ValidationError

from shared.bus import Broker, publish
from shared.events import Envelope, EventPayload, UnknownEvent
from shared.topology import QUEUES

log = structlog.get_logger(__name__)

Handler = Callable[[asyncpg.Connection, Envelope, EventPayload], Awaitable[None]]

# Errors of the infrastructure or of concurrency: retrying the same event can succeed.
TRANSIENT_ERRORS = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
)

# A handler that fails this many times for any other reason is a bug or a bad event.
HANDLER_ATTEMPTS = 3

INBOX_RECORD = """
INSERT INTO inbox (event_id, event_type) VALUES ($1, $2)
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id
"""


class Consumer:
    """Feeds a service's queue to its handlers, one transaction per event."""

    def __init__(
        self,
        *,
        service: str,
        pool: asyncpg.Pool,
        broker: Broker,
        handlers: Mapping[str, Handler],
        prefetch_count: int,
        retry_delay: float = 0.5,
    ) -> None:
        self.queue_spec = QUEUES[service]
        if set(handlers) != set(self.queue_spec.routing_keys):
            raise ValueError(
                f"{service}: handlers {sorted(handlers)} do not match the queue's bindings "
                f"{sorted(self.queue_spec.routing_keys)} in shared/topology.py"
            )
        self.pool = pool
        self.broker = broker
        self.handlers = handlers
        self.prefetch_count = prefetch_count
        self.retry_delay = retry_delay
        self._channel: AbstractRobustChannel | None = None
        self._queue: AbstractQueue | None = None
        self._consumer_tag: str | None = None
        self._in_flight: set[asyncio.Task] = set()

    async def start(self) -> None:
        self._channel = await self.broker.connection.channel()
        await self._channel.set_qos(prefetch_count=self.prefetch_count)
        self._queue = await self._channel.get_queue(self.queue_spec.name)
        self._consumer_tag = await self._queue.consume(self.on_message)
        log.info("consuming", queue=self.queue_spec.name)

    async def stop(self) -> None:
        """Stop taking messages, let those in hand finish, then close the channel.

        The broker may already be gone: then there is nothing to cancel, and whatever was not
        acknowledged is redelivered to another consumer anyway.
        """
        try:
            if self._queue is not None and self._consumer_tag is not None:
                await self._queue.cancel(self._consumer_tag)
        except (AMQPError, ChannelInvalidStateError, ConnectionError) as error:
            log.warning("could not cancel the consumer", error=repr(error))
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=10)
        if self._channel is not None and not self._channel.is_closed:
            await self._channel.close()

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        task = asyncio.current_task()
        self._in_flight.add(task)
        try:
            await self._process(message)
        finally:
            self._in_flight.discard(task)

    async def _process(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = Envelope.model_validate_json(message.body)
            payload = envelope.read()
        except (ValidationError, UnknownEvent) as error:
            await self._dead_letter(message, f"unreadable event: {error}")
            return
        with structlog.contextvars.bound_contextvars(
            correlation_id=envelope.correlation_id,
            event_id=str(envelope.id),
            event_type=envelope.type,
            hub=envelope.hub,
        ):
            started = time.perf_counter()
            try:
                await self._handle(envelope, payload)
            except asyncio.CancelledError:
                raise  # shutting down: not acked, so the broker redelivers it
            except Exception as error:  # a bug or an event the handler cannot take
                log.exception("event failed; dead-lettering it")
                await self._dead_letter(message, f"{type(error).__name__}: {error}")
                return
            await self._ack(message)
            log.info("event handled", duration_ms=round((time.perf_counter() - started) * 1000, 2))

    async def _ack(self, message: AbstractIncomingMessage) -> None:
        try:
            await message.ack()
        except (AMQPError, ChannelInvalidStateError, ConnectionError) as error:
            # The change is committed; the broker redelivers and the inbox skips it.
            log.warning("ack lost with the channel; expect a duplicate", error=repr(error))

    async def _handle(self, envelope: Envelope, payload: EventPayload) -> None:
        handler = self.handlers[envelope.type]
        failures = 0
        while True:
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    if await conn.fetchval(INBOX_RECORD, envelope.id, envelope.type) is None:
                        log.info("duplicate event skipped")
                        return
                    await handler(conn, envelope, payload)
                return
            except TRANSIENT_ERRORS as error:
                log.warning("event handling interrupted; retrying", error=repr(error))
            except Exception:
                failures += 1
                if failures >= HANDLER_ATTEMPTS:
                    raise
                log.warning("event handler failed; retrying", attempt=failures, exc_info=True)
            await asyncio.sleep(self.retry_delay * min(2**failures, 20))

    async def _dead_letter(self, message: AbstractIncomingMessage, reason: str) -> None:
        """Park the message with its reason in the service's dead-letter queue, then ack it."""
        await publish(
            self.broker.exchanges.dead_letter,
            body=message.body,
            routing_key=self.queue_spec.name,
            message_id=message.message_id or "",
            correlation_id=message.correlation_id or "",
            event_type=message.type,
            headers={
                "x-error": reason[:1000],
                "x-consumer": self.queue_spec.service,
                "x-original-routing-key": message.routing_key or "",
            },
        )
        await self._ack(message)
        log.error("event dead-lettered", reason=reason[:1000], routing_key=message.routing_key)
