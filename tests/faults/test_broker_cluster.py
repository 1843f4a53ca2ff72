"""A three-node RabbitMQ cluster of the test's own (tests/support/rabbit_cluster.py), the
services given every node's address (AMQP_URL, comma-separated), and a stream of orders and
deliveries: the node everyone is connected to, the quorum queues' leaders with them, is killed
(SIGKILL) and restarted; then the node they failed over to. Nothing is lost, nothing doubled
(the fault suite's books and the allocator's invariants, tests/faults/ledger.py), and the work
goes on after each kill: how long it paused is in the suite's summary line.

The database is a sandbox of the machine's Postgres (tools/sandbox.py); the machine's broker is
not used.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from tests.faults.ledger import Providers
from tests.faults.stream import Stream
from tests.faults.world import Faults
from tests.support.mailbox import Mailbox
from tests.support.provider_stubs import SmsGatewayStub, WhatsAppCloudStub
from tests.support.rabbit_cluster import ClusterNode, RabbitCluster, rabbit_cluster
from tests.support.stack import Stack
from tests.support.stack_env import OPERATOR_TOKEN, stack_env
from tools.client import HubClient, wait_until
from tools.sandbox import sandbox

BROKER_SERVICES = ("intake", "orders", "allocator", "notifier")
QUEUES = [f"{service}.{kind}" for service in BROKER_SERVICES for kind in ("events", "dead-letter")]
# Where a kill shows that the work goes on: an order placed after the kill has come through the
# broker to the allocator (orders' relay, then the allocator's consumer), and to the notifier.
REACHED_THE_ALLOCATOR = """
SELECT count(*) FROM allocator.queue WHERE hub = $1 AND placed_at > $2
"""
REACHED_THE_NOTIFIER = """
SELECT count(*) FROM notifier.messages m JOIN orders.orders o ON o.id = m.order_id
WHERE o.hub = $1 AND o.placed_at > $2
"""


@dataclass
class ClusterWorld:
    """What tests/faults/world.py's Faults needs of a world: the database, one broker address
    for the test's own looks, the providers' stand-ins."""

    cluster: RabbitCluster
    database_url: str
    providers: Providers
    stack: Stack

    @property
    def amqp_url(self) -> str:
        """The last node: up whenever the books are looked at (after every restart)."""
        return self.cluster.nodes[-1].url


@asynccontextmanager
async def cluster_world(log_dir: Path) -> AsyncIterator[ClusterWorld]:
    async with rabbit_cluster(3) as cluster, sandbox("plut_cluster") as box:
        mailbox = Mailbox()
        mailbox.start()
        whatsapp = await WhatsAppCloudStub().start()
        sms = await SmsGatewayStub().start()
        stack = Stack.plan(
            database_url=box.database_url,
            amqp_url=cluster.amqp_url,
            log_dir=log_dir,
            extra_env=stack_env(mailbox, whatsapp, sms),
        )
        try:
            await stack.start()
            yield ClusterWorld(cluster, box.database_url, Providers(whatsapp, sms, mailbox), stack)
        finally:
            await asyncio.to_thread(stack.stop)
            await whatsapp.stop()
            await sms.stop()
            mailbox.stop()


async def resumed(world: ClusterWorld, hub: str, since, killed: float) -> dict[str, float]:
    """Seconds from the kill until an order placed after it reached the allocator, and the
    notifier: the positive sign that the work went on."""
    pauses = {}
    conn = await asyncpg.connect(world.database_url)
    try:
        for stage, query in (
            ("allocator", REACHED_THE_ALLOCATOR),
            ("notifier", REACHED_THE_NOTIFIER),
        ):

            async def reached(query=query) -> bool:
                return bool(await conn.fetchval(query, hub, since))

            await wait_until(
                reached, what=f"orders placed after the kill at the {stage}", interval=0.05
            )
            pauses[stage] = time.monotonic() - killed
    finally:
        await conn.close()
    return pauses


async def database_now(database_url: str):
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval("SELECT clock_timestamp()")
    finally:
        await conn.close()


def failovers(world: ClusterWorld, service: str) -> list[str]:
    """The nodes a service's connection moved to, as it logged them (shared/bus.py)."""
    moved = []
    for line in world.stack[service].log_path.read_text().splitlines():
        entry = json.loads(line) if line.startswith("{") else {}
        if entry.get("event") == "connecting to another broker node":
            moved.append(entry["node"])
    return moved


def port_of(node: ClusterNode) -> str:
    return f":{node.port}/"


@pytest.mark.timeout(900)
async def test_a_cluster_losing_a_node_then_another_loses_and_doubles_nothing(
    tmp_path: Path, record_property
):
    async with cluster_world(tmp_path / "service-logs") as world:
        first, second, third = world.cluster.nodes
        # The quorum queues the services declared have a replica on every node.
        for queue in await first.queues("name", "type", "members"):
            if queue["name"] in QUEUES:
                assert queue["type"] == "quorum", queue
                assert sorted(queue["members"]) == sorted(n.node for n in world.cluster.nodes)
        assert {q["name"] for q in await first.queues()} >= set(QUEUES)

        pauses: list[dict[str, float]] = []

        async def queues_now() -> list[dict]:
            """Each queue's leader, members online and messages, as a running node sees them."""
            alive = next(node for node in world.cluster.nodes if node.running)
            return await alive.queues("name", "leader", "online", "messages")

        async def kill_one_node_then_another(stream: Stream) -> str:
            await stream.reached(30)
            # The services connected to the first address; then each moves on to the next.
            for victim in (first, second):
                await world.cluster.may_lose(victim)
                await stream.after(20)
                since = await database_now(world.database_url)
                killed = time.monotonic()
                await victim.kill()
                try:
                    pauses.append(await resumed(world, stream.hub, since, killed))
                except TimeoutError as error:
                    raise AssertionError(f"{error}; the queues: {await queues_now()}") from None
                await stream.after(20)  # orders placed while the node is down
                await victim.start()
                await world.cluster.running()
            return "; ".join(
                f"{node} killed: the work paused {p['allocator']:.1f}s to the allocator, "
                f"{p['notifier']:.1f}s to the notifier"
                for node, p in zip(("first node", "second node"), pauses, strict=True)
            )

        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            client = HubClient(session, world.stack.urls(), operator_token=OPERATOR_TOKEN)
            faults = Faults(world, client, record_property)
            stream, ledger = await faults.run(
                "cluster nodes killed in turn", kill_one_node_then_another, rate=10.0
            )

        assert len(stream.placed) > 60, stream.refused
        for service in BROKER_SERVICES:
            # Every service's connection failed over: to the second node when the first was
            # killed, then on from it (to the third) when the second was.
            moved = failovers(world, service)
            assert any(port_of(second) in node for node in moved), (service, moved)
            assert any(port_of(third) in node for node in moved), (service, moved)
