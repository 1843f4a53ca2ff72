"""Where the ceilings and the naive baseline publish: like order.placed in the real system, one
persistent message through a topic exchange into two durable quorum queues (the real event
reaches the allocator's and the notifier's). Nobody consumes them; the sandbox's vhost goes
with the run."""

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange

ROUTING_KEY = "order.placed"


async def declare_target(channel: AbstractChannel, name: str) -> AbstractExchange:
    exchange = await channel.declare_exchange(
        f"bench.{name}", aio_pika.ExchangeType.TOPIC, durable=True
    )
    for reader in ("allocator", "notifier"):
        queue = await channel.declare_queue(
            f"bench.{name}.{reader}", durable=True, arguments={"x-queue-type": "quorum"}
        )
        await queue.bind(exchange, routing_key=ROUTING_KEY)
    return exchange


async def purge_target(channel: AbstractChannel, name: str) -> None:
    """Empty the two queues, so the broker does not carry one run's messages into the next."""
    for reader in ("allocator", "notifier"):
        queue = await channel.declare_queue(
            f"bench.{name}.{reader}", durable=True, arguments={"x-queue-type": "quorum"}
        )
        await queue.purge()
