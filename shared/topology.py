"""Who consumes what: the one picture of the bus, declared in full before any service publishes.

Every queue is declared before anyone publishes, so an event published before its consumer first
starts still has a queue to wait in: by every service at start (AMQP_TOPOLOGY=all, an admin-like
user: tests, development), or by the administrators' step (tools/access.py) where each service
runs as its own broker user and declares only its own part (AMQP_TOPOLOGY=own: compose, k8s).
Declaring is idempotent; the arguments never change silently (RabbitMQ refuses a redeclaration
with other arguments).

The allocator's events that name a product travel in partitions (shared/partitions.py,
docs/partitioned-allocation.md): the events exchange passes them to a headers exchange, which
routes each by its `partition` header to one of PARTITIONS quorum queues with a single active
consumer, so one replica at a time takes a partition, in order. A message that comes without the
header (from a publisher older than the partitions) falls through the headers exchange's
alternate exchange to the service's shared queue, which also keeps what waited there before: the
allocator consumes both.
"""

from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

from shared.partitions import PARTITION_HEADER, PARTITIONED_KEYS, PARTITIONS, partition_queue

EXCHANGE = "plut.events"
DEAD_LETTER_EXCHANGE = "plut.dead-letter"
# A message that made its consumer crash this many times is dead-lettered by the broker itself.
DELIVERY_LIMIT = 10
# Where the partitioned events go from EXCHANGE, and where one without a partition falls through.
PARTITION_EXCHANGE = "plut.allocation"
UNPARTITIONED_EXCHANGE = "plut.allocation.unpartitioned"


@dataclass(frozen=True)
class ConsumerQueue:
    service: str
    routing_keys: tuple[str, ...]
    # Its PARTITIONED_KEYS come through partition queues, the rest through its shared queue.
    partitioned: bool = False

    @property
    def name(self) -> str:
        return f"{self.service}.events"

    @property
    def dead_letter_name(self) -> str:
        return f"{self.service}.dead-letter"

    @property
    def shared_keys(self) -> tuple[str, ...]:
        """The routing keys bound to the shared queue."""
        if not self.partitioned:
            return self.routing_keys
        return tuple(key for key in self.routing_keys if key not in PARTITIONED_KEYS)

    @property
    def partition_names(self) -> tuple[str, ...]:
        if not self.partitioned:
            return ()
        return tuple(partition_queue(self.service, p) for p in range(PARTITIONS))

    @property
    def queue_names(self) -> tuple[str, ...]:
        """Every queue the service consumes: the shared one first."""
        return (self.name, *self.partition_names)


QUEUES = {
    queue.service: queue
    for queue in (
        ConsumerQueue("intake", ("order.allocated", "order.released", "order.expired")),
        ConsumerQueue(
            "orders",
            (
                "hub.registered",
                "product.listed",
                "order.allocated",
                "order.released",
                "order.expired",
            ),
        ),
        ConsumerQueue(
            "allocator",
            (
                "hub.registered",
                "supply.received",
                "order.placed",
                "order.cancelled",
                "order.fulfilled",
            ),
            partitioned=True,
        ),
        ConsumerQueue(
            "notifier",
            (
                "product.listed",
                "producer.registered",
                "producer.updated",
                "supply.received",
                "order.placed",
                "order.queued",
                "order.allocated",
                "order.cancelled",
                "order.expired",
                "order.estimate_moved",
                "order.released",
                "day.summarised",
                "hub.registered",
                "programme.not_drawn",
            ),
        ),
    )
}

# What some queue is bound to: an event of any other type reaches nobody, so it is never stored
# in an outbox nor published (shared/outbox.py).
CONSUMED_ROUTING_KEYS = frozenset(key for queue in QUEUES.values() for key in queue.routing_keys)


@dataclass(frozen=True)
class Exchanges:
    events: AbstractExchange
    dead_letter: AbstractExchange


async def declare_topology(channel: AbstractChannel, service: str | None = None) -> Exchanges:
    """The events exchange, the queues of each consumer, and a dead-letter queue beside each.

    Given a service, only what that service owns (its queues, their bindings, the allocator's
    partition exchanges); the shared exchanges are then declared passively, which needs no
    right to change them. That is how a service runs under its own broker user
    (shared/access.py), once the administrators' step declared the whole (tools/access.py)."""
    passive = service is not None
    events = await channel.declare_exchange(
        EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True, passive=passive
    )
    dead_letter = await channel.declare_exchange(
        DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True, passive=passive
    )
    for queue in QUEUES.values() if service is None else (QUEUES[service],):
        await _declare_consumer(channel, events, dead_letter, queue)
    return Exchanges(events=events, dead_letter=dead_letter)


async def _declare_consumer(
    channel: AbstractChannel,
    events: AbstractExchange,
    dead_letter: AbstractExchange,
    queue: ConsumerQueue,
) -> None:
    dead = await channel.declare_queue(
        queue.dead_letter_name, durable=True, arguments={"x-queue-type": "quorum"}
    )
    await dead.bind(dead_letter, routing_key=queue.name)
    live = await _declare_live(channel, queue.name, dead_letter_key=queue.name)
    for routing_key in queue.shared_keys:
        await live.bind(events, routing_key=routing_key)
    if queue.partitioned:
        await _declare_partitions(channel, events, queue, live)


async def _declare_live(
    channel: AbstractChannel, name: str, *, dead_letter_key: str, extra: dict | None = None
) -> AbstractQueue:
    return await channel.declare_queue(
        name,
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            "x-dead-letter-routing-key": dead_letter_key,
            # Dead-letter without loss: the broker keeps a message until the DLQ confirms it.
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
            **(extra or {}),
        },
    )


async def _declare_partitions(
    channel: AbstractChannel,
    events: AbstractExchange,
    queue: ConsumerQueue,
    shared: AbstractQueue,
) -> None:
    """The partition queues (dead-lettering into the service's one dead-letter queue), the
    headers exchange that feeds them, and the moved keys unbound from the shared queue (a
    deployment from before the partitions has them bound there; unbinding what is not bound
    is no error)."""
    unpartitioned = await channel.declare_exchange(
        UNPARTITIONED_EXCHANGE, aio_pika.ExchangeType.FANOUT, durable=True
    )
    await shared.bind(unpartitioned, routing_key="")
    partitions = await channel.declare_exchange(
        PARTITION_EXCHANGE,
        aio_pika.ExchangeType.HEADERS,
        durable=True,
        arguments={"alternate-exchange": UNPARTITIONED_EXCHANGE},
    )
    for partition, name in enumerate(queue.partition_names):
        live = await _declare_live(
            channel,
            name,
            dead_letter_key=queue.name,
            # One consumer at a time takes the queue, the others wait their turn: order holds.
            extra={"x-single-active-consumer": True},
        )
        await live.bind(partitions, arguments={"x-match": "all", PARTITION_HEADER: str(partition)})
    for routing_key in PARTITIONED_KEYS & set(queue.routing_keys):
        await partitions.bind(events, routing_key=routing_key)
        await shared.unbind(events, routing_key=routing_key)
