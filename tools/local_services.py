"""The services as plain processes on this machine, the way they run in production but without
Docker: where a command finds each one, the environment they share, and one process's life.

Used by `python -m tools.run_local`, `plut`, the founding-day command, and the tests' stack
(tests/support/stack.py).
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

SERVICES = ("intake", "orders", "allocator", "notifier", "console", "storefront")
DEFAULT_PORTS = {
    "intake": 8081,
    "orders": 8082,
    "allocator": 8083,
    "notifier": 8084,
    "console": 8085,
    "storefront": 8086,
}
ROOT = Path(__file__).resolve().parent.parent


def service_url(name: str) -> str:
    """Where a command on this machine finds a service: `<NAME>_URL`, else loopback at
    `<NAME>_PORT` (the variable docker-compose.yml publishes it on), else its default port."""
    port = os.environ.get(f"{name.upper()}_PORT") or DEFAULT_PORTS[name]
    return os.environ.get(f"{name.upper()}_URL") or f"http://127.0.0.1:{port}"


def services_env(*, database_url: str, amqp_url: str, ports: dict[str, int]) -> dict[str, str]:
    """The environment every process of one system on loopback `ports` shares."""
    return {
        "DATABASE_URL": database_url,
        "AMQP_URL": amqp_url,
        # These processes serve plain HTTP on this machine: the console's cookies must be
        # sent over it (production, behind TLS, leaves SECURE_COOKIES on).
        "SECURE_COOKIES": "false",
        # The orders service asks the allocator where an order stands; the console asks all.
        **{
            f"{name.upper()}_URL": f"http://127.0.0.1:{ports[name]}"
            for name in ("intake", "orders", "allocator", "notifier")
        },
        # The notifier links buyers' messages to their order's page on the buyers' site.
        "PUBLIC_SITE_URL": f"http://127.0.0.1:{ports['storefront']}",
        # The API documents' servers: where these processes answer.
        "PUBLIC_URLS": json.dumps(
            {
                name: f"http://127.0.0.1:{ports[name]}"
                for name in ("intake", "orders", "allocator", "notifier")
            }
        ),
    }


@dataclass
class ServiceProcess:
    """One service process; its output goes to a log file so a failing test can show it."""

    name: str
    port: int
    env: dict[str, str]
    log_path: Path | None  # None: the service writes to this terminal
    process: subprocess.Popen | None = None
    _log_file: object = field(default=None, repr=False)
    _terminating: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._terminating = False
        self._log_file = self.log_path.open("ab") if self.log_path else None
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"services.{self.name}"],
            cwd=ROOT,
            env={**os.environ, **self.env, "HTTP_PORT": str(self.port)},
            stdout=self._log_file,
            stderr=subprocess.STDOUT if self._log_file else None,
            # Its own session: a Ctrl-C in the terminal reaches only us, and we stop it once.
            start_new_session=True,
        )

    async def wait_ready(self, timeout: float = 120.0) -> None:
        """Until /ready answers 200. The limit only ends a start-up that will never finish (a
        busy machine starts slowly, so it is far above any start-up that will)."""
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited at start-up:\n{self.log_tail()}")
                try:
                    async with session.get(f"{self.url}/ready") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise TimeoutError(f"{self.name} not ready after {timeout}s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acks, no cleanup. What a crash looks like."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
        self._close_log()

    def terminate(self) -> None:
        """Ask for a graceful exit (SIGTERM) without waiting for it. Once: a second SIGTERM
        would interrupt the shutdown the first one started."""
        if self.process is not None and self.process.poll() is None and not self._terminating:
            self._terminating = True
            self.process.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 60.0) -> int | None:
        """SIGTERM and wait for a graceful exit; answer the exit code. After `timeout` (far
        above any graceful exit, however busy the machine) SIGKILL. It blocks: a test calls it
        in a thread (`asyncio.to_thread`), so that the stand-ins on its event loop still
        answer the service draining."""
        if self.process is None or self.process.poll() is not None:
            self._close_log()
            return None if self.process is None else self.process.returncode
        self.terminate()
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()
        finally:
            self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
