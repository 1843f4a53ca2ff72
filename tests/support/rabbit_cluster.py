"""A RabbitMQ cluster of a test's own: three nodes of Debian's rabbitmq-server on this machine,
each with its own name, AMQP and distribution ports, data, logs and config in one temporary
directory, sharing an Erlang cookie and an epmd (on a free port) of their own. The machine's
own broker (rabbit@<host> on 5672, the shared epmd on 4369) never sees them.

    async with rabbit_cluster(3) as cluster:      # started, joined, all running
        cluster.amqp_url                           # every node's address, comma-separated
        await cluster.nodes[0].kill()              # SIGKILL: the node crashes
        await cluster.nodes[0].start(); await cluster.running()

Built on tests/support/private_servers.py's PrivateRabbit (which tells how a node is kept apart
from the machine's). Everything is killed and removed on the way out, whatever happened.
"""

import asyncio
import json
import os
import secrets
import shutil
import signal
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from tests.support.private_servers import GUARD_SECONDS, PrivateRabbit, ServerError, _run
from tests.support.stack import free_port


class ClusterNode(PrivateRabbit):
    """One node of the cluster: the cluster's cookie (in its HOME, where the node and its
    rabbitmqctl read it) and the cluster's epmd."""

    def __init__(self, root: Path, *, name: str, cookie: str, epmd_port: int) -> None:
        super().__init__(root)
        self.node = f"plut-{name}-{uuid.uuid4().hex[:6]}@localhost"
        self.cookie = cookie
        self.epmd_port = epmd_port

    def configure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        super().configure()
        cookie = self.root / ".erlang.cookie"
        cookie.write_text(self.cookie)
        cookie.chmod(0o400)  # Erlang refuses a cookie others may read

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def kill(self) -> None:
        """SIGKILL to the node's processes (beam and its helpers): a crash, no goodbye to its
        clients or its peers."""
        if self.running:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            await self.process.wait()
        self._close_log()

    async def queues(self, *columns: str) -> list[dict[str, str]]:
        listing = await self.ctl(
            "list_queues", "-q", "--formatter", "json", *(columns or ("name",))
        )
        return json.loads(listing)


class RabbitCluster:
    def __init__(self, root: Path, size: int) -> None:
        self.root = root
        self.cookie = secrets.token_hex(20)
        self.epmd_port = free_port()
        self.nodes = [
            ClusterNode(root / letter, name=letter, cookie=self.cookie, epmd_port=self.epmd_port)
            for letter in "abcdefg"[:size]
        ]

    @property
    def amqp_url(self) -> str:
        """Every node's address, as AMQP_URL takes a cluster (shared/bus.py)."""
        return ",".join(node.url for node in self.nodes)

    async def form(self) -> None:
        """Start the nodes and join the others to the first (stop_app, join_cluster,
        start_app); answer once every node is running in the cluster."""
        for node in self.nodes:
            node.configure()
        first, *others = self.nodes
        await first.start()  # it starts the cluster's epmd before the others look for it
        await asyncio.gather(*(node.start() for node in others))
        for node in others:
            await node.ctl("stop_app")
            await node.ctl("join_cluster", first.node)
            await node.ctl("start_app")
        await self.running()

    async def running(self, timeout: float = GUARD_SECONDS) -> None:
        """Wait until every node of the cluster is running in it, as a running node sees it."""
        deadline = time.monotonic() + timeout
        wanted = {node.node for node in self.nodes}
        seen: object = None
        while True:
            for node in self.nodes:
                if not node.running:
                    continue
                with suppress(ServerError):
                    status = json.loads(await node.ctl("cluster_status", "--formatter", "json"))
                    seen = status.get("running_nodes")
                    if set(seen or ()) == wanted:
                        return
            if time.monotonic() > deadline:
                raise ServerError(f"cluster not all running after {timeout}s: {seen}")
            await asyncio.sleep(0.2)

    async def may_lose(self, node: ClusterNode, timeout: float = GUARD_SECONDS) -> None:
        """Wait until losing `node` leaves every quorum queue a majority (its other members
        online and caught up): `rabbitmq-queues check_if_node_is_quorum_critical`."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                await _run(
                    str(node.sbin / "rabbitmq-queues"),
                    "-n",
                    node.node,
                    "check_if_node_is_quorum_critical",
                    env=node.env,
                )
                return
            except ServerError as error:
                if time.monotonic() > deadline:
                    raise ServerError(f"{node.node} stays quorum-critical: {error}") from None
            await asyncio.sleep(0.2)

    async def destroy(self) -> None:
        """Kill every node, the cluster's epmd, and remove the directory."""
        await asyncio.gather(*(node.kill() for node in self.nodes), return_exceptions=True)
        await self._kill_epmd()
        shutil.rmtree(self.root, ignore_errors=True)

    async def _kill_epmd(self, timeout: float = 30.0) -> None:
        """epmd refuses to go while it still lists a node, as it may for a moment after the
        nodes were killed: asked again until it goes (or is not there)."""
        deadline = time.monotonic() + timeout
        epmd = ("epmd", "-port", str(self.epmd_port))
        while time.monotonic() < deadline:
            try:
                await _run(*epmd, "-names", env=self.nodes[0].env, timeout=10)
            except (ServerError, FileNotFoundError):
                return  # not running
            with suppress(ServerError):
                await _run(*epmd, "-kill", env=self.nodes[0].env, timeout=10)
            await asyncio.sleep(0.1)


@asynccontextmanager
async def rabbit_cluster(size: int = 3) -> AsyncIterator[RabbitCluster]:
    cluster = RabbitCluster(Path(tempfile.mkdtemp(prefix="plut-rabbit-cluster-")), size)
    try:
        await cluster.form()
        yield cluster
    finally:
        await cluster.destroy()
