"""The tests' stack: the six services as processes on free loopback ports, with a database and a
broker of the test's own, each writing to a log file that a failing test shows; and the free
ports that stand-ins serve on.

Used by the tests and the benchmarks; `python -m tools.run_local` runs the same processes
(tools/local_services.py) on their usual ports.
"""

import asyncio
import os
import random
import socket
from dataclasses import dataclass
from pathlib import Path

import aiohttp.web

from tools.local_services import SERVICES, ServiceProcess, services_env

# A port is found free here and bound later by another process, so it must not be one the
# machine hands out meanwhile: below the kernel's ephemeral range (32768-60999 on Linux), from
# which every outgoing connection (and every bind to port 0) draws, so a busy machine running
# two suites at once does not take it in between. Drawn at random, two suites seldom try the
# same one; one in use is skipped. Above the compose smoke's fixed ports (tests/compose, 19xxx).
PORTS = range(20000, 32768)


def _ports() -> range:
    """The ports this process draws from: under pytest-xdist (scripts/test runs the suite on
    several workers) each worker has every n-th port of PORTS, so two workers of one run never
    try the same one; another suite on the machine is still kept apart by drawing at random."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1, ...
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1 and worker.startswith("gw"):
        return PORTS[int(worker.removeprefix("gw")) % workers :: workers]
    return PORTS


def free_port(host: str = "127.0.0.1") -> int:
    ports = _ports()
    while True:
        port = random.choice(ports)
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port


async def serve_locally(
    app: aiohttp.web.Application, host: str = "127.0.0.1"
) -> tuple[aiohttp.web.AppRunner, int]:
    """Serve a stand-in's `app` on a free port of a loopback address (`host`); answer its runner
    (to clean up) and port. The kernel picks the port as it binds it: no other process can
    take it first.

    A handler whose client hung up is cancelled, so a stand-in counts only requests still open.
    """
    runner = aiohttp.web.AppRunner(app, shutdown_timeout=0.1, handler_cancellation=True)
    await runner.setup()
    await aiohttp.web.TCPSite(runner, host, 0).start()
    [(_, port, *_)] = runner.addresses
    return runner, port


@dataclass
class Stack:
    services: dict[str, ServiceProcess]

    @classmethod
    def plan(
        cls,
        *,
        database_url: str,
        amqp_url: str,
        log_dir: Path | None,
        extra_env: dict[str, str] | None = None,
        ports: dict[str, int] | None = None,
    ) -> "Stack":
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)
        ports = {name: (ports or {}).get(name) or free_port() for name in SERVICES}
        env = {
            **services_env(database_url=database_url, amqp_url=amqp_url, ports=ports),
            **(extra_env or {}),
        }
        return cls(
            {
                name: ServiceProcess(
                    name=name,
                    port=ports[name],
                    env=env,
                    log_path=log_dir / f"{name}.log" if log_dir else None,
                )
                for name in SERVICES
            }
        )

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.services[name]

    def replica(
        self, name: str, log_path: Path, env: dict[str, str] | None = None
    ) -> ServiceProcess:
        """Another process of a service on its own port, with the stack's database and broker
        (and `env` over the stack's environment)."""
        return ServiceProcess(
            name=name,
            port=free_port(),
            env={**self.services[name].env, **(env or {})},
            log_path=log_path,
        )

    def urls(self) -> dict[str, str]:
        return {name: service.url for name, service in self.services.items()}

    async def start(self) -> None:
        for service in self.services.values():
            service.start()
        await asyncio.gather(*(service.wait_ready() for service in self.services.values()))

    def stop(self) -> dict[str, int | None]:
        """Stop all at once (each drains its own work), answering each exit code."""
        for service in self.services.values():
            service.terminate()
        return {name: service.stop() for name, service in self.services.items()}
