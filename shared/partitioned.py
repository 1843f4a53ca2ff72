"""A service's partition queues, taken in turns by its replicas (docs/partitioned-allocation.md).

Every replica subscribes to every partition queue, each on its own channel. The queues have a
single active consumer: the broker gives a queue to one subscriber at a time, in order, and the
others wait their turn. That alone keeps each partition in order, whatever replicas come and go;
but it makes the first replica to start active everywhere. To spread the load, replicas register
in the service's `consumer_members` table with a heartbeat, and each computes the partitions it
should take among the live members (rendezvous hashing, shared/partitions.py). Once a message
arrives on a partition it should not take, it releases it: it handles the messages it holds,
takes none that come after it acked them, then closes the partition's channel, which returns
those unacked to the queue, in order, before the broker activates the next subscriber; and it
subscribes again, at the back of the line. The partition moves on until it reaches its member.

Each return counts as a delivery (`x-delivery-count`, which dead-letters at the queue's limit):
so a releasing replica handles all it was given before its last ack, and drops only what the
broker pushes after it; the next subscriber handles those first. A message is returned about
once per hand-over it meets at the head of the queue, not once per hop.

Closing, not cancelling: RabbitMQ 3.10's quorum queues activate the next subscriber as soon as
the active one cancels, while it still holds unacked messages, which the next then receives
after later ones (docs/partitioned-allocation.md). A closed channel returns them first
(tests/integration/test_partition_handover.py).

Membership only spreads load: members that disagree for a heartbeat (one joined, one died) pass
a partition around a few times more, each taking at least the messages it held. Order and
exactly-once rest on the single active consumer and on the inbox.
"""

import asyncio
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field

import asyncpg
import structlog
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustChannel
from aiormq.exceptions import AMQPError, ChannelInvalidStateError

from shared.bus import Broker
from shared.partitions import owned_by
from shared.topology import ConsumerQueue

log = structlog.get_logger(__name__)

# A member that missed this many heartbeats is no longer counted.
MISSED_HEARTBEATS = 3
# Its row, in the service's own schema: the heartbeat, and the live members (seen lately), in one
# round trip; rows of members gone for an hour are deleted on the way.
HEARTBEAT = """
WITH beat AS (
    INSERT INTO consumer_members (member, seen_at) VALUES ($1, now())
    ON CONFLICT (member) DO UPDATE SET seen_at = excluded.seen_at
), gone AS (
    DELETE FROM consumer_members WHERE seen_at < now() - interval '1 hour'
)
SELECT member FROM consumer_members WHERE seen_at > now() - make_interval(secs => $2)
"""
LEAVE = "DELETE FROM consumer_members WHERE member = $1"

Arrive = Callable[[AbstractIncomingMessage], Awaitable[None]]


@dataclass
class _Subscription:
    channel: AbstractRobustChannel
    in_hand: int = 0  # messages passed on and not yet settled
    releasing: bool = False  # to close once the messages in hand are settled
    closing: bool = False  # what arrives now stays unacked, for the queue's next subscriber
    dropping: bool = False  # and what is in hand but not yet handled too (a batch abandoned)
    drained: asyncio.Event = field(default_factory=asyncio.Event)


class Partitions:
    """The partition queues of one service in one process; messages go to `arrive`."""

    def __init__(
        self,
        *,
        queue_spec: ConsumerQueue,
        pool: asyncpg.Pool,
        broker: Broker,
        prefetch_count: int,
        arrive: Arrive,
        heartbeat_seconds: float,
    ) -> None:
        self.queue_spec = queue_spec
        self.pool = pool
        self.broker = broker
        self.prefetch_count = prefetch_count
        self.arrive = arrive
        self.heartbeat_seconds = heartbeat_seconds
        self.member = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.names = queue_spec.partition_names
        # Until the first heartbeat, a replica alone takes everything.
        self.owned: frozenset[int] = frozenset(range(len(self.names)))
        self._subscriptions: dict[int, _Subscription] = {}
        self._source: dict[int, int] = {}  # id(message) -> its partition, while in hand
        self._tasks: set[asyncio.Task] = set()
        self._stopping = False
        self._heart: asyncio.Task | None = None

    async def start(self) -> None:
        """Subscribe everywhere, then register: a member is counted once it waits in every line,
        so a partition released to it finds it there."""
        for partition in range(len(self.names)):
            await self._subscribe(partition)
        await self._beat()
        self._heart = asyncio.create_task(self._heartbeats(), name="consumer membership")
        log.info("partitions subscribed", member=self.member, owned=sorted(self.owned))

    def keep(self, message: AbstractIncomingMessage) -> bool:
        """Whether the consumer should handle a message it takes: not one of a partition being
        released (left unacked, it goes back to the queue in order when the channel closes)."""
        partition = self._source.get(id(message))
        if partition is None or not self._subscriptions[partition].dropping:
            return True
        self.settled([message])
        return False

    def acking(self, messages: Iterable[AbstractIncomingMessage]) -> None:
        """The consumer is about to ack these: a partition being released takes nothing that
        the acks make room for."""
        for message in messages:
            partition = self._source.get(id(message))
            if partition is not None and self._subscriptions[partition].releasing:
                self._subscriptions[partition].closing = True

    def settled(self, messages: Iterable[AbstractIncomingMessage]) -> None:
        """The consumer acked (or gave up on) these messages."""
        for message in messages:
            partition = self._source.pop(id(message), None)
            if partition is None:
                continue
            subscription = self._subscriptions[partition]
            subscription.in_hand -= 1
            if subscription.in_hand == 0:
                subscription.drained.set()

    def partition_of(self, message: AbstractIncomingMessage) -> int | None:
        return self._source.get(id(message))

    def release(self, partitions: Iterable[int], *, drop: bool = False) -> None:
        """Hand partitions on; `drop`: leave what they gave unhandled too (returned in order)."""
        for partition in partitions:
            subscription = self._subscriptions[partition]
            if drop:
                subscription.closing = subscription.dropping = True
            if not subscription.releasing:
                subscription.releasing = True
                self._spawn(self._release(partition, subscription))

    async def stop(self) -> None:
        """Leave: take nothing more, and let the others count without this member at once."""
        self._stopping = True
        if self._heart is not None:
            self._heart.cancel()
        for subscription in self._subscriptions.values():
            subscription.releasing = subscription.closing = subscription.dropping = True
        with suppress(*_DATABASE_ERRORS):
            async with asyncio.timeout(5):
                await self.pool.execute(LEAVE, self.member)

    async def close(self) -> None:
        """After the consumer finished its batch: close every partition's channel."""
        for task in list(self._tasks):
            task.cancel()
        for subscription in self._subscriptions.values():
            await _close(subscription.channel)

    async def _subscribe(self, partition: int) -> None:
        channel = await self.broker.connection.channel()
        await channel.set_qos(prefetch_count=self.prefetch_count)
        subscription = _Subscription(channel)
        subscription.drained.set()
        self._subscriptions[partition] = subscription
        # Declared (passively), not only named: the robust channel then consumes it again when
        # it reopens (after the broker closed it, as a consumer timeout does).
        queue = await channel.get_queue(self.names[partition])

        async def on_message(message: AbstractIncomingMessage) -> None:
            if subscription.closing:
                return  # unacked: back to the queue, in order, with the channel
            subscription.in_hand += 1
            subscription.drained.clear()
            self._source[id(message)] = partition
            await self.arrive(message)
            if partition not in self.owned:
                self.release([partition])

        await queue.consume(on_message)

    async def _release(self, partition: int, subscription: _Subscription) -> None:
        await subscription.drained.wait()
        subscription.closing = True
        await _close(subscription.channel)
        if self._stopping:
            return
        log.info("partition released", partition=partition, member=self.member)
        while not self._stopping:
            try:
                await self._subscribe(partition)
                return
            except (AMQPError, ChannelInvalidStateError, ConnectionError, RuntimeError) as error:
                # The connection is away: the robust connection comes back, and so do we.
                log.warning("could not subscribe again; retrying", error=repr(error))
                await asyncio.sleep(1)

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            await self._beat()

    async def _beat(self) -> None:
        try:
            async with asyncio.timeout(self.heartbeat_seconds * MISSED_HEARTBEATS):
                rows = await self.pool.fetch(
                    HEARTBEAT, self.member, self.heartbeat_seconds * MISSED_HEARTBEATS
                )
        except _DATABASE_ERRORS as error:
            log.warning("membership heartbeat failed; keeping the last", error=repr(error))
            return
        owned = owned_by(self.member, [row["member"] for row in rows], len(self.names))
        if owned != self.owned:
            log.info("partitions to take", member=self.member, owned=sorted(owned))
        self.owned = owned

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("partition release failed", exc_info=task.exception())


_DATABASE_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


async def _close(channel: AbstractRobustChannel) -> None:
    if channel.is_closed:
        return
    with suppress(AMQPError, ChannelInvalidStateError, ConnectionError, RuntimeError):
        await channel.close()
