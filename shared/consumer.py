"""Consuming events: at-least-once delivery, exactly-once effect, many events per transaction.

A message carries one event or a batch of them (shared/events/batch.py); the consumer takes
messages apart, and a batch for the handlers counts events, not messages. Messages are taken
as they wait, until their events reach `batch_size` (a message is never split), and each batch
is handled in one Postgres transaction that first records every event id in the service's
inbox; a duplicate (redelivered, or twice in one batch) finds its id there and is left out.
The messages are acknowledged only after every one of their events is committed or parked.
One commit for many events is what lets a consumer keep up with a busy bus: the commit's
fsync, not the handler, is the cost of an event.

At a low rate messages come one at a time, and each would pay a transaction alone: so after the
first message of a batch the consumer lingers up to `linger_seconds` for more (as Kafka's
linger.ms), and stops lingering as soon as the batch is full. Nothing is acked before its
commit, so lingering delays an event, never loses one.

A batch that fails for a reason other than the infrastructure is split up, and each event is
tried alone, so one bad event cannot hold up the others. An event that can never be handled
(not an envelope, an unknown type, a handler that keeps failing) is copied alone to the
service's dead-letter queue, as a single-event message with the reason, and the rest of its
message goes on. Losing Postgres is not the message's fault: the batch waits and retries for
as long as it takes, and never dead-letters for it.

Redelivery: a message not acked (a crash, a lost channel, a nack after the broker went away)
comes back whole; the events of it already committed are skipped by the inbox, and those
parked are parked again (parking is at least once, and a replay from the dead-letter queue
meets the inbox too). A message that came back `ONE_BY_ONE_AFTER_DELIVERIES` times is handled
an event per transaction, so an event that kills its consumer holds back only those after it;
such a message is dead-lettered whole by the broker after `x-delivery-limit` deliveries
(shared/topology.py), with its events in it: parked, not lost.

A partitioned service (the allocator) takes its shared queue and every partition queue
(shared/partitioned.py), each on its own channel, into the same batches: one replica at a low
rate still commits one transaction per batch, not one per partition. A batch is acked per
channel; a partition's messages are never nacked, as a requeue would put them behind the later
ones the consumer holds: the partition is released instead, and its channel's close returns them
all, in order.
"""

import asyncio
import time
from contextlib import suppress

import asyncpg
import structlog
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue, AbstractRobustChannel
from aiormq.exceptions import AMQPError, ChannelInvalidStateError

from shared.bus import Broker, publish
from shared.deliveries import Delivery, deliveries_of
from shared.event_handlers import (
    BatchHandler,
    Event,
    EventHandlers,
    Handler,
    UnitOfWork,
    event_context,
    handle_new,
)
from shared.events import Unreadable
from shared.metrics import EVENTS_CONSUMED, EVENTS_DEAD_LETTERED, INBOX_DUPLICATES
from shared.partitioned import Partitions
from shared.topology import QUEUES

# What services import from here, as before the handlers had their own module.
__all__ = [
    "HANDLER_ATTEMPTS",
    "BatchHandler",
    "Consumer",
    "Event",
    "EventHandlers",
    "Handler",
    "UnitOfWork",
    "handle_new",
]

log = structlog.get_logger(__name__)


# Errors of the infrastructure or of concurrency: retrying the same events can succeed.
TRANSIENT_ERRORS = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    # A pooled connection whose session Postgres ended (a restart) can be handed out before its
    # socket closes, in a state no query can use (MagicStack/asyncpg#784); the pool replaces it.
    asyncpg.InternalClientError,
)

# A message the broker has handed out this many times before (its consumer died, or lost the
# channel, with the message in hand each time) has its events handled one transaction each: those
# that can be handled commit before one that takes the consumer down with it, and only that one
# and those after it ride the message to the dead-letter queue at the queue's x-delivery-limit.
ONE_BY_ONE_AFTER_DELIVERIES = 2


def _came_back_often(message: AbstractIncomingMessage) -> bool:
    """The quorum queue counts a message's earlier deliveries in `x-delivery-count`."""
    count = (message.headers or {}).get("x-delivery-count") or 0
    return isinstance(count, int) and count >= ONE_BY_ONE_AFTER_DELIVERIES


# A handler that fails this many times for any other reason is a bug or a bad event.
HANDLER_ATTEMPTS = 3


class Consumer:
    """Feeds a service's queue to its handlers, a batch per transaction."""

    def __init__(
        self,
        *,
        service: str,
        pool: asyncpg.Pool,
        broker: Broker,
        handlers: EventHandlers,
        prefetch_count: int,
        batch_size: int = 100,
        linger_seconds: float = 0.0,
        retry_delay: float = 0.5,
        member_heartbeat_seconds: float = 2.0,
    ) -> None:
        self.queue_spec = QUEUES[service]
        if handlers.event_types != set(self.queue_spec.routing_keys):
            raise ValueError(
                f"{service}: handlers {sorted(handlers.event_types)} do not match the queue's "
                f"bindings {sorted(self.queue_spec.routing_keys)} in shared/topology.py"
            )
        self.pool = pool
        self.broker = broker
        self.handlers = handlers
        self.prefetch_count = prefetch_count
        self.batch_size = batch_size
        self.linger_seconds = linger_seconds
        self.retry_delay = retry_delay
        self.member_heartbeat_seconds = member_heartbeat_seconds
        self._partitions: Partitions | None = None
        self._channel: AbstractRobustChannel | None = None
        self._queue: AbstractQueue | None = None
        self._consumer_tag: str | None = None
        # Each message with when it came, by the event loop's clock; None: stop.
        self._arrived: asyncio.Queue[tuple[float, AbstractIncomingMessage] | None] = asyncio.Queue()
        self._worker: asyncio.Task | None = None

    async def start(self) -> None:
        self._channel = await self.broker.connection.channel()
        await self._channel.set_qos(prefetch_count=self.prefetch_count)
        self._queue = await self._channel.get_queue(self.queue_spec.name)
        self._worker = asyncio.create_task(self._work(), name=f"{self.queue_spec.name} consumer")
        self._consumer_tag = await self._queue.consume(self._arrive)
        if self.queue_spec.partitioned:
            self._partitions = Partitions(
                queue_spec=self.queue_spec,
                pool=self.pool,
                broker=self.broker,
                # Shared among the partitions: what one replica holds stays about the same.
                prefetch_count=max(
                    8, -(-self.prefetch_count // len(self.queue_spec.partition_names))
                ),
                arrive=self._arrive,
                heartbeat_seconds=self.member_heartbeat_seconds,
            )
            await self._partitions.start()
        log.info("consuming", queue=self.queue_spec.name, batch_size=self.batch_size)

    async def stop(self) -> None:
        """Stop taking messages, let the batch in hand finish, then close the channel.

        Messages taken but not yet handled are never acknowledged, so the broker gives them to
        another consumer. The broker may already be gone: then there is nothing to cancel.
        """
        try:
            if self._queue is not None and self._consumer_tag is not None:
                await self._queue.cancel(self._consumer_tag)
        except (AMQPError, ChannelInvalidStateError, ConnectionError) as error:
            log.warning("could not cancel the consumer", error=repr(error))
        if self._partitions is not None:
            # Not cancelled (see shared/partitioned.py): the batch in hand finishes, the rest
            # goes back to its queue in order when the channels close.
            await self._partitions.stop()
        if self._worker is not None:
            self._arrived.put_nowait(None)  # wakes the worker when it waits for messages
            try:
                await asyncio.wait_for(self._worker, timeout=10)
            except TimeoutError:
                log.warning("the batch in hand did not finish in time")
        if self._partitions is not None:
            await self._partitions.close()
        if self._channel is not None and not self._channel.is_closed:
            await self._channel.close()

    async def _work(self) -> None:
        """Take what has arrived, up to a batch of events, and handle it, until told to stop
        (None). A message is never split: a batch may pass `batch_size` by less than a
        message's events.

        What is left when told to stop is never acknowledged: the broker redelivers it.
        """
        while True:
            arrival = await self._arrived.get()
            if arrival is None:
                return
            if not self._keep(arrival[1]):
                continue
            gathered = await self._gather(*arrival)
            if gathered is None:
                return
            messages, deliveries = gathered
            try:
                await self._process(deliveries)
            except Exception:  # the broker went away while dead-lettering: it redelivers
                log.exception("batch abandoned; its messages will be redelivered")
                await self._abandon(messages)
                continue
            # One ack per channel: messages come and are handled in delivery order, so every
            # earlier delivery on the channel is settled already (each of its events handled or
            # parked). A message is acked only when all its events are.
            if self._partitions is not None:
                self._partitions.acking(messages)
            for last in self._last_per_channel(messages):
                await self._ack(last, multiple=True)
            if self._partitions is not None:
                self._partitions.settled(messages)

    def _keep(self, message: AbstractIncomingMessage) -> bool:
        return self._partitions is None or self._partitions.keep(message)

    def _last_per_channel(
        self, messages: list[AbstractIncomingMessage]
    ) -> list[AbstractIncomingMessage]:
        """The last message of each channel (the shared queue's: partition None) in the batch."""
        if self._partitions is None:
            return messages[-1:]
        last = {self._partitions.partition_of(message): message for message in messages}
        return list(last.values())

    async def _abandon(self, messages: list[AbstractIncomingMessage]) -> None:
        """The shared queue's messages are nacked back; a partition's are left unacked and the
        partition released, so its channel's close returns them before what came after."""
        partitions = self._partitions
        for message in messages:
            if partitions is not None and partitions.partition_of(message) is not None:
                continue
            with suppress(AMQPError, ChannelInvalidStateError, ConnectionError):
                await message.nack(requeue=True)
        if partitions is not None:
            touched = {partitions.partition_of(message) for message in messages} - {None}
            partitions.release(touched, drop=True)
            partitions.settled(messages)

    async def _arrive(self, message: AbstractIncomingMessage) -> None:
        self._arrived.put_nowait((asyncio.get_running_loop().time(), message))

    async def _gather(
        self, came_at: float, first: AbstractIncomingMessage
    ) -> tuple[list[AbstractIncomingMessage], list[Delivery]] | None:
        """The messages of a batch and their events: `first`, those waiting, and those that
        come within the linger, until the events reach `batch_size`. None: told to stop.

        The linger counts from when `first` came, not from when it is taken: a message that
        waited while the batch before was handled (a busy consumer) waits no longer."""
        messages, deliveries = [first], deliveries_of(first)
        deadline = came_at + self.linger_seconds
        while len(deliveries) < self.batch_size:
            if self._arrived.empty():
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    break
                try:
                    async with asyncio.timeout(left):
                        arrival = await self._arrived.get()
                except TimeoutError:
                    break
            else:
                arrival = self._arrived.get_nowait()
            if arrival is None:
                return None
            message = arrival[1]
            if not self._keep(message):
                continue
            messages.append(message)
            deliveries.extend(deliveries_of(message))
        return messages, deliveries

    async def _process(self, deliveries: list[Delivery]) -> None:
        """Settle every event: handled and committed, or parked with its reason."""
        readable = []
        for delivery in deliveries:
            if isinstance(delivery.event, Unreadable):
                await self._dead_letter(delivery, delivery.event.reason)
            else:
                readable.append(delivery)
        together = [d for d in readable if not _came_back_often(d.message)]
        if together:
            await self._settle(together)
        for delivery in readable:
            if _came_back_often(delivery.message):
                await self._settle([delivery])

    async def _settle(self, deliveries: list[Delivery]) -> None:
        try:
            await self._handle(deliveries, attempts=1 if len(deliveries) > 1 else HANDLER_ATTEMPTS)
        except asyncio.CancelledError:
            raise  # shutting down: not acked, so the broker redelivers them
        except Exception as error:  # a bug, or an event the handler cannot take
            if len(deliveries) == 1:
                with event_context(deliveries[0].event.envelope):
                    log.exception("event failed; dead-lettering it")
                await self._dead_letter(deliveries[0], f"{type(error).__name__}: {error}")
                return
            log.warning("batch failed; handling its events one by one", events=len(deliveries))
            for delivery in deliveries:
                await self._settle([delivery])

    async def _handle(self, deliveries: list[Delivery], attempts: int) -> None:
        """Handle the batch in one transaction; retry transient errors for as long as it takes."""
        events = [delivery.event for delivery in deliveries]
        failures = 0
        while True:
            started = time.perf_counter()
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    fresh = await handle_new(conn, events, self.handlers.handle_batch)
                break
            except TRANSIENT_ERRORS as error:
                log.warning("event handling interrupted; retrying", error=repr(error))
            except Exception:
                failures += 1
                if failures >= attempts:
                    raise
                log.warning("event handler failed; retrying", attempt=failures, exc_info=True)
            await asyncio.sleep(self.retry_delay * min(2**failures, 20))
        service = self.queue_spec.service
        for event in fresh:
            EVENTS_CONSUMED.labels(service, event.envelope.type).inc()
        INBOX_DUPLICATES.labels(service).inc(len(deliveries) - len(fresh))
        # One line per batch, naming every correlation id in it, so a request can still be
        # followed into this log; a line per event cost more than the rest of the logging.
        log.info(
            "events handled",
            handled=len(fresh),
            duplicates=len(deliveries) - len(fresh),
            batch=len(deliveries),
            batch_ms=round((time.perf_counter() - started) * 1000, 2),
            correlation_ids=sorted({d.event.envelope.correlation_id for d in deliveries}),
            event_types=sorted({d.event.envelope.type for d in deliveries}),
        )

    async def _ack(self, message: AbstractIncomingMessage, multiple: bool = False) -> None:
        try:
            await message.ack(multiple=multiple)
        except (AMQPError, ChannelInvalidStateError, ConnectionError) as error:
            # The change is committed; the broker redelivers and the inbox skips it.
            log.warning("ack lost with the channel; expect a duplicate", error=repr(error))

    async def _dead_letter(self, delivery: Delivery, reason: str) -> None:
        """Park one event, as a single-event message with its reason, in the service's
        dead-letter queue. Its message is acked with the rest of the batch, later: parking is
        at least once (a redelivery before that ack parks it again), never lost."""
        message = delivery.message
        body = delivery.body
        if body is None:
            body = delivery.event.envelope.model_dump_json().encode()
        await publish(
            self.broker.exchanges.dead_letter,
            body=body,
            routing_key=self.queue_spec.name,
            message_id=delivery.message_id,
            correlation_id=(
                delivery.event.envelope.correlation_id
                if isinstance(delivery.event, Event)
                else message.correlation_id or ""
            ),
            event_type=message.type,
            headers={
                "x-error": reason[:1000],
                "x-consumer": self.queue_spec.service,
                "x-original-routing-key": message.routing_key or "",
            },
        )
        # The queue's bindings admit only its routing keys, so they make a bounded label.
        EVENTS_DEAD_LETTERED.labels(self.queue_spec.service, message.routing_key or "").inc()
        log.error(
            "event dead-lettered",
            reason=reason[:1000],
            routing_key=message.routing_key,
            message_id=delivery.message_id,
        )
