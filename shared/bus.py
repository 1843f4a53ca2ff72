"""RabbitMQ: a robust connection, the declared topology, and publishing with confirms."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractRobustChannel, AbstractRobustConnection

from shared.retry import keep_trying
from shared.topology import Exchanges, declare_topology


@dataclass(frozen=True)
class Broker:
    """One connection per process; a confirming channel for publishing; the declared exchanges."""

    connection: AbstractRobustConnection
    channel: AbstractRobustChannel
    exchanges: Exchanges

    @property
    def is_connected(self) -> bool:
        return not self.connection.is_closed and not self.channel.is_closed


async def connect(amqp_url: str, service: str, *, timeout: float = 60.0) -> Broker:
    """Connect (waiting for the broker to come up) and declare the whole topology."""

    async def attempt() -> AbstractRobustConnection:
        return await aio_pika.connect_robust(
            amqp_url,
            client_properties={"connection_name": service},
            reconnect_interval=1,  # a broker restart costs seconds of delay, not more
        )

    connection = await keep_trying(attempt, what="rabbitmq", timeout=timeout)
    channel = await connection.channel(publisher_confirms=True)
    exchanges = await declare_topology(channel)
    return Broker(connection=connection, channel=channel, exchanges=exchanges)


async def open_broker(
    amqp_url: str, service: str, *, timeout: float = 60.0
) -> AsyncIterator[Broker]:
    """The broker for a service's lifetime; use as an aiohttp cleanup context body."""
    broker = await connect(amqp_url, service, timeout=timeout)
    try:
        yield broker
    finally:
        await broker.connection.close()


async def publish(
    exchange: AbstractExchange,
    *,
    body: bytes,
    routing_key: str,
    message_id: str,
    correlation_id: str,
    event_type: str | None = None,
    headers: dict | None = None,
    content_type: str = "application/json",
) -> None:
    """Publish one persistent JSON message and wait for the broker's confirm.

    Not mandatory: a message no queue is bound for is dropped by the broker.
    """
    message = aio_pika.Message(
        body,
        content_type=content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message_id,
        correlation_id=correlation_id,
        type=event_type,
        headers=headers or {},
    )
    await exchange.publish(message, routing_key=routing_key, mandatory=False)
