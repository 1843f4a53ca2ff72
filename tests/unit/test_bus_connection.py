"""AMQP_URL as one broker's address or a cluster's (shared/bus.py), the connection that tries
the next node on each attempt, and a nacked publish replacing its channel."""

import asyncio

import pytest
from aio_pika import RobustConnection
from aio_pika.connection import Connection
from aiormq.exceptions import DeliveryError
from pamqp.commands import Basic
from yarl import URL

from shared.bus import ClusterConnection, broker_urls, publish

SECRET = "s3cret,pw"  # a comma in a password: written %2C
NODES = ",".join(
    f"amqp://plut:s3cret%2Cpw@rabbit-{n}:{5671 + n}/plut?heartbeat=30" for n in (1, 2, 3)
)


def test_one_url_is_one_address_as_it_was():
    [url] = broker_urls("amqp://guest:guest@localhost:5672/")
    assert url == URL("amqp://guest:guest@localhost:5672/")


def test_a_cluster_is_its_nodes_in_the_order_given():
    urls = broker_urls(NODES)
    assert [(u.host, u.port) for u in urls] == [
        ("rabbit-1", 5672),
        ("rabbit-2", 5673),
        ("rabbit-3", 5674),
    ]
    assert {u.password for u in urls} == {SECRET}
    assert {u.path for u in urls} == {"/plut"}
    assert {u.query["heartbeat"] for u in urls} == {"30"}


def test_spaces_around_the_commas_are_allowed():
    urls = broker_urls(" amqp://a:5672/ , amqps://b/ ".replace("amqps", "amqp"))
    assert [u.host for u in urls] == ["a", "b"]


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("", "address 1 of 1 is empty"),
        ("amqp://a/,", "address 2 of 2 is empty"),
        ("amqp://a/,,amqp://b/", "address 2 of 3 is empty"),
        ("http://u:s3cret@a/", "address 1 of 1 is not an amqp:// or amqps:// URL"),
        ("amqp:///plut", "is not an amqp:// or amqps:// URL with a host"),
        ("rabbit-1:5672", "is not an amqp:// or amqps:// URL"),
        ("amqp://u:s3cret@a:notaport/", "address 1 of 1 is not a URL"),
        ("amqp://u:s3cret@a:99999/", "address 1 of 1 is not a URL"),
        ("amqp://a/,amqp://b c/", "address 2 of 2 has a space or a control character"),
        ("amqp://a/\x00", "address 1 of 1 has a space or a control character"),
        ("amqp://a:5672/,amqp://A/", "a:5672 is listed twice"),
        ("amqps://a/,amqps://a:5671/", "a:5671 is listed twice"),
        ("amqp://u:s3cret@a/,amqp://u:other@b/", "in its password"),
        ("amqp://u:s3cret@a/,amqp://v:s3cret@b/", "in its user"),
        ("amqp://u:s3cret@a/plut,amqp://u:s3cret@b/", "in its virtual host"),
        ("amqp://a/,amqps://b/", "in its scheme"),
        ("amqp://a/?heartbeat=5,amqp://b/", "in its options"),
    ],
)
def test_a_wrong_address_is_refused_saying_which_and_why_without_its_password(value, says):
    with pytest.raises(ValueError) as refused:
        broker_urls(value)
    assert says in str(refused.value)
    assert str(refused.value).startswith("AMQP_URL: ")
    assert "s3cret" not in str(refused.value) and "other" not in str(refused.value)


def test_an_empty_virtual_host_path_is_the_default_one():
    assert len(broker_urls("amqp://a:5672,amqp://b:5672/")) == 2


def test_the_hook_the_cluster_connection_overrides_is_still_aio_pikas():
    """ClusterConnection chooses the node in RobustConnection's private `__connect_transport`:
    an aio-pika that renamed it would connect to the first node only."""
    assert hasattr(RobustConnection, "_RobustConnection__connect_transport")
    assert "_RobustConnection__connect_transport" in vars(ClusterConnection)


async def attempts(connection: ClusterConnection, count: int, monkeypatch) -> list[int]:
    """The ports of the first `count` attempts to connect, each refused."""
    tried: list[int] = []
    enough = asyncio.Event()

    async def refuse(self, timeout=None):
        tried.append(self.url.port)
        if len(tried) >= count:
            enough.set()
        raise ConnectionRefusedError("refused")

    monkeypatch.setattr(Connection, "connect", refuse)
    waiting = asyncio.create_task(connection.connect())
    await enough.wait()
    waiting.cancel()  # it waits to be connected, which it never is
    await connection.close()
    await asyncio.gather(waiting, return_exceptions=True)
    return tried[:count]


async def test_each_attempt_goes_to_the_next_node_round_and_round(monkeypatch):
    connection = ClusterConnection(broker_urls(NODES), fail_fast=False, reconnect_interval=0)
    assert await attempts(connection, 5, monkeypatch) == [5672, 5673, 5674, 5672, 5673]


async def test_the_first_attempt_goes_to_the_start_node(monkeypatch):
    connection = ClusterConnection(
        broker_urls(NODES), start=4, fail_fast=False, reconnect_interval=0
    )
    assert connection.url.port == 5673
    assert await attempts(connection, 3, monkeypatch) == [5673, 5674, 5672]


async def test_one_address_is_tried_again_and_again(monkeypatch):
    connection = ClusterConnection(
        broker_urls("amqp://guest:guest@localhost:5999/"), fail_fast=False, reconnect_interval=0
    )
    assert await attempts(connection, 3, monkeypatch) == [5999, 5999, 5999]


class FakeChannel:
    """aiormq's channel as publish uses it: answers each publish with `answer` (an exception)."""

    def __init__(self, answer: Exception | None) -> None:
        self.answer = answer
        self.is_closed = False
        self.closed_with: BaseException | None = None

    async def basic_publish(self, body, **kwargs):
        if self.answer is not None:
            raise self.answer

    async def close(self, exc=None, timeout=None):
        self.is_closed, self.closed_with = True, exc


class FakeRobustChannel:
    def __init__(self, underlay: FakeChannel) -> None:
        self.underlay = underlay
        self.is_closed = False

    async def get_underlay_channel(self) -> FakeChannel:
        return self.underlay


class FakeExchange:
    name = "plut.events"

    def __init__(self, underlay: FakeChannel) -> None:
        self.channel = FakeRobustChannel(underlay)


async def send(underlay: FakeChannel) -> None:
    await publish(
        FakeExchange(underlay), body=b"{}", routing_key="order.placed", message_id="m",
        correlation_id="c",
    )  # fmt: skip


async def test_a_nacked_publish_closes_its_channel_for_the_robust_one_to_reopen_and_raises():
    underlay = FakeChannel(DeliveryError(None, Basic.Nack(delivery_tag=1)))
    with pytest.raises(DeliveryError):
        await send(underlay)
    assert underlay.is_closed
    # Not CancelledError: aio-pika's robust channel takes that for its connection closing and
    # leaves the reopening to it, which never comes while the connection is up.
    assert not isinstance(underlay.closed_with, asyncio.CancelledError)
    assert underlay.closed_with is not None


async def test_a_confirmed_publish_or_another_failure_leaves_the_channel_alone():
    confirmed = FakeChannel(None)
    await send(confirmed)
    returned = FakeChannel(DeliveryError(None, Basic.Return(reply_code=312)))
    with pytest.raises(DeliveryError):
        await send(returned)
    assert not confirmed.is_closed and not returned.is_closed
