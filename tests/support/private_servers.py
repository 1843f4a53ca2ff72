"""A Postgres cluster and a RabbitMQ node of a test's own, on free ports in a temporary directory,
for faults that stop, restart or crash the servers: the machine's shared servers are never
touched.

    postgres = await PrivatePostgres.create()       # initdb + start; `postgres.url`
    await postgres.stop()  ...  await postgres.start()
    rabbit = await PrivateRabbit.create(consumer_timeout_ms=5000)   # `rabbit.url`
    await rabbit.stop()  ...  await rabbit.start()
    await rabbit.destroy(); await postgres.destroy()

Postgres: `initdb` and `pg_ctl` from PG_BIN (default: the newest /usr/lib/postgresql/*/bin, else
the directory of `pg_ctl` on PATH). initdb refuses to run as root, so as root every Postgres
command runs as the `postgres` user (`runuser`), in a directory handed over to it.

RabbitMQ: the `rabbitmq-server` and `rabbitmqctl` scripts themselves (RABBITMQ_SBIN, default
/usr/lib/rabbitmq/bin, else the directory of `rabbitmq-server` on PATH), not Debian's wrappers,
which switch to the `rabbitmq` user and the shared node's home. The node has its own name,
ports, data, logs, config and Erlang cookie (its own HOME), and its own epmd on a free port, so
the shared node's Erlang distribution never sees it; /etc/rabbitmq/rabbitmq-env.conf is not read.
"""

import asyncio
import os
import shutil
import signal
import tempfile
import time
import uuid
from contextlib import suppress
from pathlib import Path

from tests.support.stack import free_port


class ServerError(RuntimeError):
    """A private server did not do what it was asked."""


# The servers' commands and start-ups are given this long before the test gives up on them:
# only a guard, far above what a machine busy with two suites at once takes.
GUARD_SECONDS = 300.0


async def _run(
    *command: str, env: dict[str, str] | None = None, timeout: float = GUARD_SECONDS
) -> str:
    process = await asyncio.create_subprocess_exec(
        *command,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise ServerError(f"{' '.join(command)}: no answer in {timeout}s") from None
    text = output.decode(errors="replace")
    if process.returncode != 0:
        raise ServerError(f"{' '.join(command)} exited {process.returncode}:\n{text}")
    return text


async def _port_open(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    with suppress(OSError):
        await writer.wait_closed()
    return True


def _postgres_bin() -> Path:
    if explicit := os.environ.get("PG_BIN"):
        return Path(explicit)
    installed = sorted(
        (path for path in Path("/usr/lib/postgresql").glob("*/bin") if path.parent.name.isdigit()),
        key=lambda path: int(path.parent.name),
        reverse=True,
    )
    if installed:
        return installed[0]
    found = shutil.which("pg_ctl")
    if found is None:
        raise ServerError("no Postgres binaries: set PG_BIN to the directory of initdb and pg_ctl")
    return Path(found).parent


class PrivatePostgres:
    """A Postgres cluster in a temporary directory, listening on 127.0.0.1 on a free port, with
    trust authentication for the `postgres` user."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.bin = _postgres_bin()
        self.running = False

    @classmethod
    async def create(cls) -> "PrivatePostgres":
        root = Path(tempfile.mkdtemp(prefix="plut-postgres-"))
        server = cls(root)
        try:
            await server.init()
            await server.start()
        except BaseException:
            await server.destroy()
            raise
        return server

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_owner(self, *command: str) -> list[str]:
        if os.geteuid() == 0:  # initdb and postgres refuse root
            return ["runuser", "-u", "postgres", "--", *command]
        return list(command)

    async def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        await _run(
            *self._as_owner(
                str(self.bin / "initdb"),
                "--pgdata",
                str(self.data),
                "--username",
                "postgres",
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--no-sync",
            )
        )
        settings = {
            "port": self.port,
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.root}'",
            "max_connections": 200,
            # What a test can lose in a crash of the machine is not what it tests; a crash of
            # Postgres alone (pg_ctl -m immediate) loses nothing even so: the OS still has it all.
            "fsync": "off",
            "full_page_writes": "off",
            "shared_buffers": "'32MB'",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    async def start(self) -> None:
        await _run(
            *self._as_owner(
                str(self.bin / "pg_ctl"),
                "--pgdata",
                str(self.data),
                "--log",
                str(self.root / "postgres.log"),
                "--wait",
                "--timeout",
                str(int(GUARD_SECONDS) - 60),
                "start",
            )
        )
        self.running = True

    async def stop(self, mode: str = "fast") -> None:
        """`fast`: every session is ended and the cluster shuts down cleanly; `immediate`: it
        stops as in a crash, and recovers from its WAL at the next start."""
        await _run(
            *self._as_owner(
                str(self.bin / "pg_ctl"), "--pgdata", str(self.data), "--mode", mode, "--wait",
                "stop",
            )
        )  # fmt: skip
        self.running = False

    def log_tail(self, lines: int = 30) -> str:
        path = self.root / "postgres.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    async def destroy(self) -> None:
        if self.running or (self.data / "postmaster.pid").exists():
            with suppress(ServerError):
                await self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def _rabbitmq_sbin() -> Path:
    if explicit := os.environ.get("RABBITMQ_SBIN"):
        return Path(explicit)
    debian = Path("/usr/lib/rabbitmq/bin")
    if (debian / "rabbitmq-server").exists():
        return debian
    found = shutil.which("rabbitmq-server")
    if found is None:
        raise ServerError("no RabbitMQ: set RABBITMQ_SBIN to the directory of rabbitmq-server")
    return Path(found).resolve().parent


class PrivateRabbit:
    """A single RabbitMQ node of our own, listening on 127.0.0.1 on a free port, `guest` allowed.

    `consumer_timeout_ms`: how long a consumer may hold a delivery unacknowledged before the
    broker closes its channel; the check runs every second, so a short timeout is noticed soon.
    """

    def __init__(self, root: Path, *, consumer_timeout_ms: int | None = None) -> None:
        self.root = root
        self.node = f"plut-{uuid.uuid4().hex[:8]}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.epmd_port = free_port()
        self.sbin = _rabbitmq_sbin()
        self.consumer_timeout_ms = consumer_timeout_ms
        self.process: asyncio.subprocess.Process | None = None
        self._log = None

    @classmethod
    async def create(cls, *, consumer_timeout_ms: int | None = None) -> "PrivateRabbit":
        root = Path(tempfile.mkdtemp(prefix="plut-rabbitmq-"))
        node = cls(root, consumer_timeout_ms=consumer_timeout_ms)
        try:
            node.configure()
            await node.start()
        except BaseException:
            await node.destroy()
            raise
        return node

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def configure(self) -> None:
        for directory in ("mnesia", "log"):
            (self.root / directory).mkdir(exist_ok=True)
        conf = [f"listeners.tcp.default = 127.0.0.1:{self.port}", "loopback_users = none"]
        if self.consumer_timeout_ms is not None:
            conf.append(f"consumer_timeout = {self.consumer_timeout_ms}")
        (self.root / "rabbitmq.conf").write_text("\n".join(conf) + "\n")
        # How often a channel checks its consumers' timeouts (a minute by default).
        (self.root / "advanced.config").write_text("[{rabbit, [{channel_tick_interval, 1000}]}].\n")
        (self.root / "enabled_plugins").write_text("[].\n")
        (self.root / "rabbitmq-env.conf").write_text("")  # instead of /etc/rabbitmq's

    @property
    def env(self) -> dict[str, str]:
        inherited = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("RABBITMQ_", "ERL_")) and key not in ("HOME", "NODENAME")
        }
        return {
            **inherited,
            "HOME": str(self.root),  # its own Erlang cookie, for the node and its rabbitmqctl
            "RABBITMQ_CONF_ENV_FILE": str(self.root / "rabbitmq-env.conf"),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.root / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.root / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.root / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
            "RABBITMQ_PLUGINS_EXPAND_DIR": str(self.root / "plugins-expand"),
            "RABBITMQ_PID_FILE": str(self.root / "rabbitmq.pid"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_PORT": str(self.epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    async def start(self, timeout: float = GUARD_SECONDS) -> None:
        """Start the node and wait until it takes AMQP connections."""
        self._log = (self.root / "server.log").open("ab")
        self.process = await asyncio.create_subprocess_exec(
            str(self.sbin / "rabbitmq-server"),
            env=self.env,
            cwd=self.root,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not await _port_open(self.port):
            if self.process.returncode is not None:
                raise ServerError(f"{self.node} exited at start:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise ServerError(f"{self.node} not up after {timeout}s:\n{self.log_tail()}")
            await asyncio.sleep(0.1)

    async def ctl(self, *args: str) -> str:
        return await _run(str(self.sbin / "rabbitmqctl"), "-n", self.node, *args, env=self.env)

    async def stop(self) -> None:
        """`rabbitmqctl stop`: the node closes its connections and shuts down cleanly."""
        if self.process is None or self.process.returncode is not None:
            return
        await self.ctl("stop")
        try:
            await asyncio.wait_for(self.process.wait(), 60)
        finally:
            self._close_log()

    async def consumers(self, queue: str) -> int:
        """How many consumers the queue has now (in the default vhost)."""
        listing = await self.ctl("list_queues", "-q", "--no-table-headers", "name", "consumers")
        for line in listing.splitlines():
            name, _, count = line.rpartition("\t")
            if name == queue:
                return int(count)
        raise ServerError(f"no queue {queue} on {self.node}:\n{listing}")

    async def close_all_connections(self, reason: str) -> None:
        """Every client connection closed by the broker (connection.close with `reason`)."""
        await self.ctl("close_all_connections", reason)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def logged(self, text: str) -> int:
        """How many lines of the node's own log contain `text`."""
        path = self.root / "log" / f"{self.node}.log"
        if not path.exists():
            return 0
        return sum(1 for line in path.read_text(errors="replace").splitlines() if text in line)

    def log_tail(self, lines: int = 30) -> str:
        path = self.root / "server.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    async def destroy(self) -> None:
        if self.process is not None and self.process.returncode is None:
            try:
                await self.stop()
            except (ServerError, TimeoutError):
                with suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                await self.process.wait()
        self._close_log()
        # The epmd our node started (on its own port) outlives the node: ask it to go.
        with suppress(ServerError, FileNotFoundError):
            await _run("epmd", "-port", str(self.epmd_port), "-kill", env=self.env, timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)
