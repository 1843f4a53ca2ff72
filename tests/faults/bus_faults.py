"""Faults on the bus, made by the test between the publishers and the consumers: every event
twice, and events handed to each consumer out of order."""

import asyncio
from contextlib import suppress

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

from shared.events import events_in
from shared.topology import EXCHANGE, PARTITION_EXCHANGE, QUEUES, ConsumerQueue

COPY_HEADER = "x-test-copy"


def _copy(message: AbstractIncomingMessage, headers: dict) -> aio_pika.Message:
    return aio_pika.Message(
        message.body,
        content_type=message.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        type=message.type,
        headers=headers,
    )


class Duplicator:
    """Publishes every event on the exchange once more, as it was (same id, body and routing
    key), as a relay that lost its confirms would: each consumer gets each event twice."""

    def __init__(self) -> None:
        self.copies = 0  # events, however many messages carried them

    async def open(self, connection: AbstractRobustConnection) -> "Duplicator":
        self._channel = await connection.channel()  # with publisher confirms
        self._exchange = await self._channel.get_exchange(EXCHANGE)
        queue = await self._channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(self._exchange, routing_key="#")
        await queue.consume(self._on_message)
        return self

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        if not message.headers.get(COPY_HEADER):
            headers = {**message.headers, COPY_HEADER: True}
            await self._exchange.publish(_copy(message, headers), routing_key=message.routing_key)
            self.copies += len(events_in(message.body, message.content_type))
        await message.ack()

    async def close(self) -> None:
        await self._channel.close()


class Scrambler:
    """Stands between the exchange and the services' queues: their bindings move to queues of
    the test's, and what gathers there is handed on to each service's queue every `period`
    seconds, newest first. `close` puts the bindings back and hands on what is left."""

    def __init__(self, period: float = 0.3) -> None:
        self.period = period
        self.handed_on = 0
        self.reordered = 0  # events handed on before one that came ahead of them
        self._stopping = asyncio.Event()

    async def open(self, connection: AbstractRobustConnection) -> "Scrambler":
        self._channel = await connection.channel()
        self._exchange = await self._channel.get_exchange(EXCHANGE)
        self._holding = {}
        for spec in QUEUES.values():
            holding = await self._channel.declare_queue(f"{spec.name}.held", exclusive=True)
            for key in spec.routing_keys:
                await holding.bind(self._exchange, routing_key=key)
            await self._bind_live(spec, bound=False)
            self._holding[spec.name] = holding
        self._task = asyncio.create_task(self._hand_on_forever())
        return self

    async def _bind_live(self, spec: ConsumerQueue, *, bound: bool) -> None:
        """The routes from the exchange to a service's own queues, as shared/topology.py
        declares them: its shared queue's keys, and its partitioned keys through the partition
        exchange. Handed-on messages all go to the shared queue, which the service consumes too."""
        live = await self._channel.get_queue(spec.name)
        for key in spec.shared_keys:
            await (live.bind if bound else live.unbind)(self._exchange, routing_key=key)
        if spec.partitioned:
            partitions = await self._channel.get_exchange(PARTITION_EXCHANGE)
            for key in set(spec.routing_keys) - set(spec.shared_keys):
                await (partitions.bind if bound else partitions.unbind)(
                    self._exchange, routing_key=key
                )

    async def _hand_on(self) -> None:
        """Take everything waiting in the holding queues and hand it on, newest first."""
        for queue, holding in self._holding.items():
            taken = []
            while (message := await holding.get(fail=False)) is not None:
                taken.append(message)
            self.reordered += max(len(taken) - 1, 0)
            for message in reversed(taken):
                await self._channel.default_exchange.publish(
                    _copy(message, dict(message.headers)), routing_key=queue
                )
                await message.ack()
                self.handed_on += 1

    async def _hand_on_forever(self) -> None:
        while not self._stopping.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.period)
            await self._hand_on()

    async def close(self) -> None:
        self._stopping.set()
        await self._task  # not cancelled: a message taken is always handed on
        for spec in QUEUES.values():
            holding = self._holding[spec.name]
            await self._bind_live(spec, bound=True)
            for key in spec.routing_keys:
                await holding.unbind(self._exchange, routing_key=key)
        await self._hand_on()  # nothing reaches the holding queues any more
        await self._channel.close()
