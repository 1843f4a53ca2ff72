"""The compose stack as the smoke test drives it: `docker compose` under a project name of its
own (so `down -v` never touches an operator's own stack and its data) and on ports of its own,
the README's commands run as written, and the containers' state as Docker reports it."""

import asyncio
import json
import os
import re
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tools.client import HubClient
from tools.local_services import ROOT

PROJECT = "plut-smoke"
# Off the machine's own servers (Postgres 5432; RabbitMQ 5672, 15672 and its node's 25672), the
# other tests' 8081-8085, and below 32768, where the kernel hands out ports at random.
PORTS = {
    "POSTGRES_PORT": 19432,
    "RABBITMQ_PORT": 19672,
    "RABBITMQ_MANAGEMENT_PORT": 19673,
    "MAILPIT_SMTP_PORT": 19025,
    "MAILPIT_PORT": 19026,
    "INTAKE_PORT": 19081,
    "ORDERS_PORT": 19082,
    "NOTIFIER_PORT": 19084,
    "CONSOLE_PORT": 19085,
    "STOREFRONT_PORT": 19086,
    "PROMETHEUS_PORT": 19090,
    "GRAFANA_PORT": 19030,
}
# Where a caller's own settings would send the commands elsewhere than this stack.
NOT_INHERITED = re.compile(r"^(COMPOSE_\w+|\w+_URL|OPERATOR_TOKEN|DOCKER_DEFAULT_PLATFORM)$")
LABEL = f"com.docker.compose.project={PROJECT}"
APP_PORTS = {
    "intake": 8081,
    "orders": 8082,
    "allocator": 8083,
    "notifier": 8084,
    "console": 8085,
    "storefront": 8086,
}


# Services that run to completion on `up` and stay exited (docker-compose.yml's `admin`).
ONE_SHOT = {"admin"}


# Figures the run reports at its end (conftest): the image's size, how long things took.
FIGURES: dict[str, str] = {}


class ComposeFailed(AssertionError):
    pass


@dataclass
class Container:
    id: str
    name: str
    service: str
    number: int  # the replica's
    state: str
    health: str  # "" when the image has no health check
    exit_code: int = 0

    @property
    def done(self) -> bool:
        """A one-shot container (the admin's grants) that ran to its end as it should."""
        return self.service in ONE_SHOT and self.state == "exited" and self.exit_code == 0


@dataclass
class ComposeProject:
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_smoke(cls) -> "ComposeProject":
        env = {key: value for key, value in os.environ.items() if not NOT_INHERITED.match(key)}
        env |= {"COMPOSE_PROJECT_NAME": PROJECT} | {key: str(port) for key, port in PORTS.items()}
        return cls(env)

    def taken_ports(self) -> list[str]:
        taken = []
        for name, port in PORTS.items():
            with socket.socket() as probe:
                # As a server binds: connections of an earlier run in TIME_WAIT do not count.
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    taken.append(f"{name}={port}")
        return taken

    def compose(self, *args: str, timeout: float = 600) -> str:
        """`docker compose ARGS`; its output, or a failure showing it."""
        return self.run(["docker", "compose", *args], timeout=timeout)

    def run(self, argv: list[str], timeout: float = 600, cwd: Path = ROOT) -> str:
        done = subprocess.run(
            argv, cwd=cwd, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise ComposeFailed(f"{' '.join(argv)}: exit {done.returncode}\n{_tail(done)}")
        return done.stdout + done.stderr

    def shell(self, line: str, timeout: float = 600, cwd: Path = ROOT) -> str:
        """One command line as an operator types it into bash, in this project's environment,
        which the line may change (`export ...`); answers what it printed."""
        env_file = Path(f"/tmp/{PROJECT}-{os.getpid()}.env")
        script = f'{line}\nstatus=$?\nenv -0 > "{env_file}"\nexit $status\n'
        try:
            output = self.run(["bash", "-c", script], timeout=timeout, cwd=cwd)
            self.env = dict(
                item.split("=", 1) for item in env_file.read_text().split("\0") if "=" in item
            )
        finally:
            env_file.unlink(missing_ok=True)
        return output

    def containers(self) -> list[Container]:
        """The project's containers, by compose's labels (which v1 and v2 both set), in
        replica order."""
        ids = self.run(["docker", "ps", "--all", "--quiet", "--filter", f"label={LABEL}"]).split()
        if not ids:
            return []
        found = json.loads(self.run(["docker", "inspect", *ids]))
        containers = [
            Container(
                id=item["Id"],
                name=item["Name"].lstrip("/"),
                service=item["Config"]["Labels"]["com.docker.compose.service"],
                number=int(item["Config"]["Labels"]["com.docker.compose.container-number"]),
                state=item["State"]["Status"],
                health=(item["State"].get("Health") or {}).get("Status", ""),
                exit_code=item["State"].get("ExitCode", 0),
            )
            for item in found
        ]
        return sorted(containers, key=lambda c: (c.service, c.number))

    def wait_healthy(self, limit: float, *, patient: bool = False) -> float:
        """Every container running and, where it has a check, healthy; answers the seconds it
        took. A container that stopped or turned unhealthy fails at once, with its log, unless
        `patient`: while a server restarts, its clients may turn unhealthy and back."""
        started = time.monotonic()
        while True:
            containers = self.containers()
            broken = [
                c
                for c in containers
                if (c.state == "exited" and not c.done) or (c.health == "unhealthy" and not patient)
            ]
            if broken:
                raise ComposeFailed(f"{[c.name for c in broken]} broke\n{self.logs(broken)}")
            waiting = [
                c
                for c in containers
                if not c.done and (c.state != "running" or c.health in ("starting", "unhealthy"))
            ]
            if containers and not waiting:
                return time.monotonic() - started
            if time.monotonic() - started > limit:
                raise ComposeFailed(
                    f"not healthy within {limit:.0f} s: {[c.name for c in waiting]}\n"
                    + self.logs(waiting)
                )
            time.sleep(1)

    async def wait_ready(self, limit: float) -> float:
        """Every replica of every service answering `/ready` (it reaches Postgres and RabbitMQ)
        through its published port; answers the seconds it took. Sooner than Docker's health
        checks, which ask only every 10 s."""
        started = time.monotonic()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            while True:
                not_ready = []
                for container in self.containers():
                    if container.service in APP_PORTS and not await self._ready(http, container):
                        not_ready.append(container)
                if not not_ready:
                    return time.monotonic() - started
                if time.monotonic() - started > limit:
                    names = [c.name for c in not_ready]
                    raise ComposeFailed(
                        f"not ready within {limit:.0f} s: {names}\n{self.logs(not_ready)}"
                    )
                await asyncio.sleep(0.5)

    async def _ready(self, http: aiohttp.ClientSession, container: Container) -> bool:
        if container.state != "running":
            return False
        try:
            async with http.get(self.url_of(container) + "/ready") as answer:
                return answer.status == 200
        except (ComposeFailed, aiohttp.ClientError, TimeoutError):  # not published yet, or down
            return False

    def logs(self, containers: list[Container]) -> str:
        return "\n".join(
            self.run(["docker", "logs", "--tail", "30", c.id], timeout=30) for c in containers
        )

    def url(self, service: str, index: int = 1) -> str:
        """Where the service's HTTP port is published (replica `index`, counted from 1)."""
        replicas = [c for c in self.containers() if c.service == service]
        return self.url_of(replicas[index - 1])

    def url_of(self, container: Container) -> str:
        bound = self.run(["docker", "port", container.id, f"{APP_PORTS[container.service]}/tcp"])
        return f"http://{bound.split()[0]}"

    def published_url(self, variable: str) -> str:
        return f"http://127.0.0.1:{self.env[variable]}"

    @property
    def database_url(self) -> str:
        return f"postgresql://postgres:postgres@127.0.0.1:{self.env['POSTGRES_PORT']}/plut"


@asynccontextmanager
async def client_of(stack: ComposeProject) -> AsyncIterator[HubClient]:
    """A client of the services as published now (a restart may move the allocator's port)."""
    urls = {name: stack.url(name) for name in ("intake", "orders", "allocator", "notifier")}
    async with aiohttp.ClientSession() as session:
        yield HubClient(session, urls, operator_token=stack.env["OPERATOR_TOKEN"])


def _tail(done: subprocess.CompletedProcess[str]) -> str:
    return "\n".join((done.stdout + done.stderr).splitlines()[-60:])
