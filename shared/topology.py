"""Who consumes what: the one picture of the bus, declared in full by every service at start.

Every service declares every queue, so an event published before its consumer first starts
still has a queue to wait in. Declaring is idempotent; the arguments never change silently
(RabbitMQ refuses a redeclaration with other arguments).
"""

from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange

EXCHANGE = "plut.events"
DEAD_LETTER_EXCHANGE = "plut.dead-letter"
# A message that made its consumer crash this many times is dead-lettered by the broker itself.
DELIVERY_LIMIT = 10


@dataclass(frozen=True)
class ConsumerQueue:
    service: str
    routing_keys: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.service}.events"

    @property
    def dead_letter_name(self) -> str:
        return f"{self.service}.dead-letter"


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


async def declare_topology(channel: AbstractChannel) -> Exchanges:
    """The events exchange, a quorum queue per consumer, and a dead-letter queue beside each."""
    events = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
    dead_letter = await channel.declare_exchange(
        DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True
    )
    for queue in QUEUES.values():
        dead = await channel.declare_queue(
            queue.dead_letter_name, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await dead.bind(dead_letter, routing_key=queue.name)
        live = await channel.declare_queue(
            queue.name,
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": DELIVERY_LIMIT,
                "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
                "x-dead-letter-routing-key": queue.name,
                # Dead-letter without loss: the broker keeps a message until the DLQ confirms it.
                "x-dead-letter-strategy": "at-least-once",
                "x-overflow": "reject-publish",
            },
        )
        for routing_key in queue.routing_keys:
            await live.bind(events, routing_key=routing_key)
    return Exchanges(events=events, dead_letter=dead_letter)
