"""The suite's moving parts: processes it starts (apps, load generators, the stub), the two ways
it drives closed-loop HTTP load (wrk, else the Python client), and a sampler that watches
memory and backlog while they run."""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.measure import cpu_seconds, rss_mb
from tests.support.stack import free_port
from tools.local_services import ROOT, ServiceProcess

LUA = Path(__file__).with_name("wrk_orders.lua")
WRK_MISSING = (
    "wrk is not installed: closed-loop HTTP load falls back to the Python client "
    "(bench/loadgen.py), which tops out far lower. To use wrk: apt-get install wrk"
)


def wrk_path() -> str | None:
    return shutil.which("wrk")


@dataclass
class AppProcess:
    """A helper process of the suite's own (the bare and naive apps), with its log in a file."""

    name: str
    argv: list[str]
    port: int
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pids(self) -> list[int]:
        return [self.process.pid] if self.process else []

    async def start(self, ready_path: str = "/v1/orders", timeout: float = 30.0) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", *self.argv],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited:\n{self.log_path.read_text()[-3000:]}")
                try:
                    # Any answer means it listens (a GET on a POST route: 405).
                    async with session.get(f"{self.url}{ready_path}") as response:
                        await response.read()
                        return
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
        raise TimeoutError(f"{self.name} did not listen in {timeout}s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class ReusePortProcess(ServiceProcess):
    """A service process started by bench/serve.py: the same app, listening with SO_REUSEPORT,
    so several share one port."""

    def start(self) -> None:
        self._terminating = False
        self._log_file = self.log_path.open("ab") if self.log_path else None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.serve", self.name],
            cwd=ROOT,
            env={**os.environ, **self.env, "HTTP_PORT": str(self.port)},
            stdout=self._log_file,
            stderr=subprocess.STDOUT if self._log_file else None,
            start_new_session=True,
        )


def pids_of(processes) -> list[int]:
    return [p.process.pid for p in processes if p.process is not None]


def cpu_of(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) or 0.0 for pid in pids)


def broker_pids() -> list[int]:
    """The RabbitMQ node's Erlang VM when it runs on this machine (the whole node: anything
    else using it is counted too)."""
    return processes_named("beam.smp")


def servers_pids() -> list[int]:
    """The RabbitMQ node and every Postgres process on this machine (the whole servers, as
    `broker_pids`: a backend that ends meanwhile takes its time with it)."""
    return processes_named("beam.smp") + processes_named("postgres")


def processes_named(command: str) -> list[int]:
    return [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _command(entry) == command
    ]


def _command(proc: Path) -> str | None:
    try:
        return (proc / "comm").read_text().strip()
    except OSError:  # it ended meanwhile
        return None


# The server processes serving a database's sessions, with the name each session gave itself
# (the services name theirs after their schema); the suite's own connection left out.
BACKENDS = """
SELECT pid, coalesce(nullif(application_name, ''), 'other') AS name FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
"""


class BackendCpu:
    """CPU time of the Postgres backends serving one database between two moments, by session
    name: those there at the end, less what those already there at the start had used (a
    backend that ended meanwhile is lost; the services' pools keep theirs)."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.before: dict[int, float] = {}

    async def start(self) -> None:
        self.before = {pid: cpu_seconds(pid) or 0.0 for pid, _ in await self._backends()}

    async def used(self) -> dict[str, float]:
        used: dict[str, float] = {}
        for pid, name in await self._backends():
            spent = (cpu_seconds(pid) or 0.0) - self.before.get(pid, 0.0)
            used[name] = used.get(name, 0.0) + spent
        return used

    async def _backends(self) -> list[tuple[int, str]]:
        return [(row["pid"], row["name"]) for row in await self.conn.fetch(BACKENDS)]


async def run_module(module: str, *args: str, timeout: float = 600) -> dict:
    """Run `python -m module args... --output FILE` and answer the JSON it wrote."""
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "result.json"
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            *args,
            "--output",
            str(output),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            out, _ = await asyncio.wait_for(process.communicate(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
        if process.returncode != 0 or not output.exists():
            raise RuntimeError(f"{module} failed ({process.returncode}):\n{out.decode()[-3000:]}")
        return json.loads(output.read_text())


async def loadgen(spec: dict, timeout: float = 900) -> dict:
    return await run_module("bench.loadgen", "--spec", json.dumps(spec), timeout=timeout)


async def bare_work(
    database_url: str, amqp_url: str, concurrency: int, seconds: float, mode: str = "both"
) -> dict:
    return await run_module(
        "bench.bare_work",
        "--database-url",
        database_url,
        "--amqp-url",
        amqp_url,
        "--concurrency",
        str(concurrency),
        "--seconds",
        str(seconds),
        "--mode",
        mode,
        timeout=seconds + 120,
    )


async def wrk(url: str, connections: int, seconds: float, token: str | None, body: dict) -> dict:
    """wrk, one thread, `connections` clients in a closed loop, each request with a new
    Idempotency-Key (bench/wrk_orders.lua)."""
    with tempfile.TemporaryDirectory() as scratch:
        body_path = Path(scratch) / "body.json"
        body_path.write_text(json.dumps(body))
        argv = [
            wrk_path() or "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(int(round(seconds)), 1)}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(LUA),
            url,
            "--",
            uuid.uuid4().hex[:12],
            token or "-",
            str(body_path),
        ]
        process = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        out, _ = await asyncio.wait_for(process.communicate(), seconds + 60)
    text = out.decode(errors="replace")
    lines = [line for line in text.splitlines() if line.startswith("WRK_JSON ")]
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{text[-2000:]}")
    raw = json.loads(lines[-1].removeprefix("WRK_JSON "))
    duration = raw["duration_us"] / 1e6
    errors = {
        key: raw[key]
        for key in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
        if raw[key]
    }
    good = raw["requests"] - raw["status_errors"]
    return {
        "client": "wrk",
        "concurrency": connections,
        "orders": good,
        "requests": raw["requests"],
        "seconds": round(duration, 3),
        "per_second": round(good / duration, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "errors": errors,
    }


async def closed_loop(
    url: str,
    connections: int,
    seconds: float,
    token: str | None,
    body: dict,
    *,
    use_wrk: bool,
) -> dict:
    """Closed-loop POSTs: wrk when there is one, else the Python client in its own process."""
    if use_wrk:
        return await wrk(url, connections, seconds, token, body)
    result = await loadgen(
        {
            "mode": "closed",
            "url": url,
            "token": token,
            "body": body,
            "concurrency": connections,
            "seconds": seconds,
            "warmup": 0.5,
        }
    )
    result["client"] = "python"
    return result


class Sampler:
    """Samples, every `interval` seconds until stopped: each named process's RSS (MB), and any
    other figure an async probe answers (queue depths, table rows). Times are monotonic."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.processes: dict[str, list[int]] = {}
        self.probes: dict[str, Callable[[], Awaitable[float | None]]] = {}
        self.series: dict[str, list[tuple[float, float]]] = {}
        self._task: asyncio.Task | None = None

    def watch(self, name: str, pids: list[int]) -> None:
        self.processes[name] = pids

    def probe(self, name: str, probe: Callable[[], Awaitable[float | None]]) -> None:
        self.probes[name] = probe

    async def sample_once(self) -> None:
        now = time.monotonic()
        for name, pids in self.processes.items():
            values = [rss_mb(pid) for pid in pids]
            if any(value is not None for value in values):
                # Several processes of one service: the largest one is what a limit applies to.
                self.series.setdefault(f"rss:{name}", []).append(
                    (now, max(v for v in values if v is not None))
                )
        for name, probe in self.probes.items():
            try:
                value = await probe()
            except Exception:  # a probe that fails once (a busy moment) is a missing sample
                value = None
            if value is not None:
                self.series.setdefault(name, []).append((now, float(value)))

    async def _run(self) -> None:
        while True:
            started = time.monotonic()
            await self.sample_once()
            await asyncio.sleep(max(self.interval - (time.monotonic() - started), 0.05))

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    def between(self, name: str, start: float, end: float) -> list[tuple[float, float]]:
        return [(t, v) for t, v in self.series.get(name, []) if start <= t <= end]

    def peak(self, name: str, start: float = 0.0, end: float = float("inf")) -> float | None:
        values = [v for _, v in self.between(name, start, end)]
        return round(max(values), 1) if values else None


@dataclass
class StubProcess:
    """bench/whatsapp_stub.py as a process: its settings for the notifier, and what it took."""

    log_path: Path
    process: asyncio.subprocess.Process | None = None
    info: dict = field(default_factory=dict)
    pid: int | None = None

    async def start(self) -> "StubProcess":
        self._log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.whatsapp_stub",
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._log,
            start_new_session=True,
        )
        line = await asyncio.wait_for(self.process.stdout.readline(), 30)
        if not line:
            raise RuntimeError(f"the WhatsApp stub did not start:\n{self.log_path.read_text()}")
        self.info = json.loads(line)
        self.pid = self.process.pid
        return self

    @property
    def env(self) -> dict[str, str]:
        return {
            "WHATSAPP_BASE_URL": self.info["base_url"],
            "WHATSAPP_PHONE_NUMBER_ID": self.info["phone_number_id"],
            "WHATSAPP_ACCESS_TOKEN": self.info["access_token"],
        }

    async def deliveries(self, since: int = 0) -> dict:
        async with aiohttp.ClientSession() as session:
            url = f"{self.info['control_url']}/deliveries?since={since}"
            async with session.get(url) as response:
                return await response.json()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        self._log.close()


def free_ports(count: int) -> list[int]:
    return [free_port() for _ in range(count)]
