"""What the allocator's partition queues rest on, tried on the broker we run (RabbitMQ 3.10 here):
the topology routes by the `partition` header, and a message without it still reaches the
shared queue; a partition's single active consumer closing its channel with messages unacked
hands the queue to the next subscriber with those messages first, in order
(shared/partitioned.py releases that way, never by cancelling)."""

import aio_pika

from shared.bus import connect, publish
from shared.partitions import PARTITION_HEADER
from tools.client import wait_until
from tools.sandbox import sandbox

PREFETCH = 3


async def send(broker, body: str, partition: int | None) -> None:
    await publish(
        broker.exchanges.events,
        body=body.encode(),
        routing_key="order.placed",
        message_id=body,
        correlation_id="handover",
        headers=None if partition is None else {PARTITION_HEADER: str(partition)},
    )


async def bodies_of(channel: aio_pika.abc.AbstractChannel, queue: str, count: int) -> list[str]:
    got: list[str] = []

    async def take(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        got.append(message.body.decode())
        await message.ack()

    tag = await (await channel.get_queue(queue)).consume(take)
    await wait_until(lambda: answer(len(got) >= count), what=f"{count} messages in {queue}")
    await (await channel.get_queue(queue)).cancel(tag)
    return got


async def answer(value):
    return value


async def test_the_partition_header_routes_and_a_message_without_it_reaches_the_shared_queue():
    async with sandbox("plut_handover") as box:
        broker = await connect(box.amqp_url, "test")
        try:
            await send(broker, "no-header", None)
            await send(broker, "to-p03", 3)
            channel = await broker.connection.channel()
            assert await bodies_of(channel, "allocator.p03", 1) == ["to-p03"]
            assert await bodies_of(channel, "allocator.events", 1) == ["no-header"]
        finally:
            await broker.connection.close()


async def test_closing_the_active_consumers_channel_hands_its_unacked_messages_on_first():
    async with sandbox("plut_handover") as box:
        broker = await connect(box.amqp_url, "test")
        try:
            for n in range(10):
                await send(broker, str(n), 5)
            first = await broker.connection.channel()
            await first.set_qos(prefetch_count=PREFETCH)
            held: list[aio_pika.abc.AbstractIncomingMessage] = []

            async def hold(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                held.append(message)

            await (await first.get_queue("allocator.p05")).consume(hold)
            await wait_until(lambda: answer(len(held) == PREFETCH), what="the first's messages")
            second = await broker.connection.channel()
            got: list[str] = []

            async def take(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                got.append(message.body.decode())
                await message.ack()

            await (await second.get_queue("allocator.p05")).consume(take)
            await held[0].ack()  # the second waits its turn: a single active consumer

            await first.close()  # 1 and 2 unacked

            await wait_until(lambda: answer(len(got) == 9), what="the rest, in the second")
            assert got == [str(n) for n in range(1, 10)]
        finally:
            await broker.connection.close()
