"""RabbitMQ: a robust connection (to one node, or failing over among a cluster's nodes), the
declared topology, and publishing with confirms."""

import itertools
from collections.abc import AsyncIterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import structlog
from aio_pika import RobustConnection
from aio_pika.abc import AbstractExchange, AbstractRobustChannel, AbstractRobustConnection
from aiormq.abc import AbstractChannel
from aiormq.exceptions import ChannelInvalidStateError, DeliveryError
from pamqp.commands import Basic
from yarl import URL

from shared.startup import keep_trying
from shared.topology import Exchanges, declare_topology

log = structlog.get_logger(__name__)

PERSISTENT = 2  # AMQP delivery mode: written to disk (a quorum queue keeps every message anyway)
DEFAULT_PORTS = {"amqp": 5672, "amqps": 5671}
# One attempt to connect to a node (TCP, TLS, AMQP handshake) is given up after this long: a
# node whose machine is gone answers nothing, and the next node is tried instead of waiting for
# the system's TCP timeout (minutes).
CONNECT_TIMEOUT_SECONDS = 10.0


def broker_urls(amqp_url: str) -> tuple[URL, ...]:
    """AMQP_URL as the addresses to connect to: one broker's URL, or a cluster's nodes as
    comma-separated URLs that differ only in host and port (the same scheme, user, password,
    virtual host and options: one cluster's users and vhosts are everyone's), e.g.
    `amqp://plut:secret@rabbit-1:5672/plut,amqp://plut:secret@rabbit-2:5672/plut`. A comma in
    the password is written `%2C`. Errors never show a password."""
    parts = amqp_url.split(",")
    urls: list[URL] = []
    for number, part in enumerate(parts, start=1):
        where = f"AMQP_URL: address {number} of {len(parts)}"
        part = part.strip()
        if not part:
            raise ValueError(f"{where} is empty")
        if any(char.isspace() or not char.isprintable() for char in part):
            raise ValueError(f"{where} has a space or a control character")
        try:
            url = URL(part)
            url.port  # noqa: B018 (a port that is not a number fails only when read)
        except ValueError:
            raise ValueError(f"{where} is not a URL") from None
        if url.scheme not in DEFAULT_PORTS or not url.host:
            raise ValueError(f"{where} is not an amqp:// or amqps:// URL with a host")
        urls.append(url)
    first = urls[0]
    seen: set[tuple[str, int]] = set()
    for url in urls:
        node = (url.host.lower(), _port(url))
        if node in seen:
            raise ValueError(f"AMQP_URL: {url.host}:{_port(url)} is listed twice")
        seen.add(node)
        for what, value in _shared_parts(url).items():
            if value != _shared_parts(first)[what]:
                raise ValueError(
                    f"AMQP_URL: the address of {url.host}:{_port(url)} differs from the first "
                    f"one's ({first.host}:{_port(first)}) in its {what}: a cluster's addresses "
                    "differ only in host and port"
                )
    return tuple(urls)


def _port(url: URL) -> int:
    return url.port or DEFAULT_PORTS[url.scheme]


def _shared_parts(url: URL) -> dict[str, object]:
    return {
        "scheme": url.scheme,
        "user": url.user,
        "password": url.password,
        "virtual host": url.path or "/",
        "options": sorted(url.query.items()),
    }


def safe(url: URL) -> str:
    """The address for a log line: no password."""
    return f"{url.scheme}://{url.host}:{_port(url)}{url.path}"


class ClusterConnection(RobustConnection):
    """aio-pika's robust connection, given every node's address: each attempt to connect (the
    first, and each after the connection is lost or an attempt failed) goes to the next address
    in turn, so a node that is gone is left for one that is up, and the channels, queues and
    consumers are restored there as on any reconnect. aio-pika itself reconnects only to the one
    address it was given (its issue #141).

    The first attempt goes to `addresses[start]`; with one address this is exactly aio-pika's
    robust connection.
    """

    def __init__(self, addresses: tuple[URL, ...], *, start: int = 0, **kwargs: Any) -> None:
        super().__init__(addresses[start % len(addresses)], **kwargs)
        self.addresses = addresses
        self._next = itertools.count(start)

    def next_address(self) -> URL:
        return self.addresses[next(self._next) % len(self.addresses)]

    # RobustConnection's private `__connect_transport` makes every attempt, the first one and
    # each reconnect, with `self.url`: the one place to choose the node. Named as Python mangles
    # it (tests/unit/test_bus_connection.py fails should an aio-pika upgrade rename it).
    async def _RobustConnection__connect_transport(self) -> None:
        url = self.next_address()
        if url != self.url:
            log.info("connecting to another broker node", node=safe(url), previous=safe(self.url))
        self.url = url
        await super()._RobustConnection__connect_transport()


@dataclass(frozen=True)
class Broker:
    """One connection per process; a confirming channel for publishing; the declared exchanges."""

    connection: AbstractRobustConnection
    channel: AbstractRobustChannel
    exchanges: Exchanges

    @property
    def is_connected(self) -> bool:
        return not self.connection.is_closed and not self.channel.is_closed


async def connect(
    amqp_url: str, service: str, *, timeout: float = 60.0, topology: str = "all"
) -> Broker:
    """Connect (waiting for the broker to come up) and declare the whole topology, or with
    `topology="own"` only the service's own part (its broker user may change nothing else).

    With several addresses (a cluster), each try at start-up begins at the next node, so a node
    that is down at start costs one try, not the start-up."""
    addresses = broker_urls(amqp_url)
    tries = itertools.count()

    async def attempt() -> AbstractRobustConnection:
        connection = ClusterConnection(
            addresses,
            start=next(tries),
            client_properties={"connection_name": service},
            reconnect_interval=1,  # a broker restart costs seconds of delay, not more
        )
        await connection.connect(timeout=CONNECT_TIMEOUT_SECONDS)
        return connection

    connection = await keep_trying(attempt, what="rabbitmq", timeout=timeout)
    channel = await connection.channel(publisher_confirms=True)
    exchanges = await declare_topology(channel, service if topology == "own" else None)
    return Broker(connection=connection, channel=channel, exchanges=exchanges)


async def open_broker(
    amqp_url: str, service: str, *, timeout: float = 60.0, topology: str = "all"
) -> AsyncIterator[Broker]:
    """The broker for a service's lifetime; use as an aiohttp cleanup context body."""
    broker = await connect(amqp_url, service, timeout=timeout, topology=topology)
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
    """Publish one persistent message and wait for the broker's confirm.

    Straight on the aiormq channel under aio-pika's robust one, fetched per publish (so a
    reconnected channel is used once it is back): aio-pika's `exchange.publish` does the same
    after building a `Message`, which cost a tenth more client CPU a message in
    bench/amqp_clients.py. A closed channel fails at once, as with aio-pika, so a relay's claim
    is not held while the broker is away. Not mandatory: a message no queue is bound for is
    dropped by the broker. A nack raises aiormq's DeliveryError, after the channel is replaced
    (see `_replace_nacking_channel`).
    """
    if exchange.channel.is_closed:
        raise ChannelInvalidStateError(f"{exchange.channel!r} closed")
    channel = await exchange.channel.get_underlay_channel()
    try:
        await channel.basic_publish(
            body,
            exchange=exchange.name,
            routing_key=routing_key,
            properties=Basic.Properties(
                content_type=content_type,
                delivery_mode=PERSISTENT,
                message_id=message_id,
                correlation_id=correlation_id,
                message_type=event_type,
                headers=headers or {},
            ),
            mandatory=False,
        )
    except DeliveryError as error:
        if isinstance(error.frame, Basic.Nack):
            await _replace_nacking_channel(channel)
        raise


async def _replace_nacking_channel(channel: AbstractChannel) -> None:
    """Close a channel the broker nacked a message on, for aio-pika's robust channel to open a
    fresh one (and declare its exchanges again) in its place; the caller publishes again.

    A nack says a queue could not take the message, as when a quorum queue has no leader for a
    moment after a cluster node is lost. But RabbitMQ 3.10 (Debian 12's) goes on nacking every
    later message to that queue on the same channel, for good, once the queue's new leader is
    up (tests/faults/test_broker_cluster.py: minutes of nacks, until a new channel); a new
    channel's messages are taken.
    """
    if channel.is_closed:
        return  # replaced already, by another publish nacked at the same time
    log.warning("broker nacked a message: replacing the channel")
    with suppress(Exception):
        # Not aiormq's default CancelledError: to the robust channel, that is its connection
        # closing, which reopens the channel itself; this channel alone must be reopened.
        await channel.close(
            ChannelInvalidStateError("nacked: a fresh channel replaces it"), timeout=5
        )
