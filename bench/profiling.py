"""Sampling profiles of the services under load, with py-spy, and what they say in a few lines.

py-spy (`pip install py-spy` into the venv; the suite says so when it is missing) attaches to
a running process and samples its Python stacks `rate` times a second without stopping it
(`--nonblocking`), only while the process holds the GIL (`--gil`): while it runs Python. Without
`--gil` a sample is taken whenever the thread is not asleep, and a process woken for each order
(a socket read, a write, epoll returning) but waiting for a core, or in the kernel, showed as
half its time in `EpollSelector.select` and `transport.write`; perf said the kernel was 12% of
its CPU and the interpreter 70% (bench/README.md, "Where an order's CPU goes at 100/s"). So the
share of samples is how much of the time the process ran Python, and each function's share is
of that.

The summary groups the busy time by where it is spent (the services' own code, asyncpg,
aio-pika, aiohttp, pydantic, logging, the event loop itself) and lists the functions with the
most time on their own ("self") and with what they call ("inclusive").
"""

import asyncio
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench.measure import cpu_seconds

PY_SPY = Path(sys.executable).parent / "py-spy"

# First match wins: the frame's file path tells where the time goes.
CATEGORIES = [
    ("services (own code)", ("services/",)),
    ("shared (own plumbing)", ("shared/",)),
    ("asyncpg", ("asyncpg/",)),
    ("aio-pika / aiormq / pamqp", ("aio_pika/", "aiormq/", "pamqp/")),
    ("aiohttp / yarl / multidict", ("aiohttp/", "yarl/", "multidict/")),
    ("pydantic", ("pydantic/", "pydantic_core/")),
    ("structlog / logging", ("structlog/", "logging/")),
    ("json", ("json/",)),
    ("asyncio event loop", ("asyncio/", "selectors.py")),
]
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def available() -> str | None:
    """The py-spy executable, or None."""
    if PY_SPY.exists():
        return str(PY_SPY)
    return shutil.which("py-spy")


class Recording:
    """py-spy recording a process for `seconds` into `output` (collapsed stacks), and the CPU
    time the process used meanwhile (from /proc), which says how much of py-spy's "busy" was
    really on a core: a process that is runnable but waiting for a core (a machine with more
    work than cores) looks busy to a sampler, wherever it was interrupted."""

    def __init__(self, pid: int, seconds: float, output: Path, rate: int = 100) -> None:
        executable = available()
        if executable is None:
            raise RuntimeError("py-spy is not installed: .venv/bin/python -m pip install py-spy")
        self.pid, self.seconds, self.output, self.rate = pid, max(int(seconds), 1), output, rate
        self._cpu = cpu_seconds(pid) or 0.0
        self._started = time.monotonic()
        self.process = subprocess.Popen(
            [
                executable,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(self.seconds),
                "--rate",
                str(rate),
                "--format",
                "raw",
                "--nonblocking",
                "--gil",
                "--output",
                str(output),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    async def finish(self, title: str) -> dict:
        """Wait for py-spy; its summary (also written beside the raw profile)."""
        await asyncio.get_running_loop().run_in_executor(None, self.process.wait)
        on_cpu = (cpu_seconds(self.pid) or 0.0) - self._cpu
        elapsed = time.monotonic() - self._started
        if not self.output.exists():
            error = self.process.stderr.read().decode(errors="replace")[-500:]
            return {"title": title, "error": f"py-spy wrote nothing: {error}"}
        summary = summarise(self.output.read_text(), seconds=self.seconds, rate=self.rate)
        summary["on_cpu_percent"] = round(100 * on_cpu / elapsed, 1) if elapsed else None
        text = render(title, summary)
        summary_path = self.output.with_name(self.output.stem + "-summary.txt")
        summary_path.write_text(text + "\n")
        return {"title": title, "raw": str(self.output), "summary_file": str(summary_path),
                **summary}  # fmt: skip


def _frame(raw: str) -> tuple[str, str]:
    """(function name with its file, file) from py-spy's "function (file:line)"."""
    match = _FRAME.match(raw.strip())
    if match is None:
        return raw.strip(), ""
    file = match["file"]
    short = file.split("site-packages/")[-1]
    for marker in ("/services/", "/shared/", "/bench/", "/tools/"):
        if marker in short:
            short = marker.lstrip("/") + short.split(marker, 1)[1]
    return f"{match['function']} ({short})", file


def category(file: str) -> str:
    for name, markers in CATEGORIES:
        if any(marker in file for marker in markers):
            return name
    return "other"


def summarise(raw: str, *, seconds: float, rate: int, top: int = 15) -> dict:
    """What a py-spy raw (collapsed) profile says: busy share, where the time goes, top functions.

    A sample's category is that of its innermost frame that belongs to a known category, so
    time in C code called from asyncpg counts as asyncpg's."""
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        weight = int(count)
        samples += weight
        frames = [_frame(part) for part in stack.split(";")]
        self_time[frames[-1][0]] += weight
        for name in {name for name, _ in frames}:
            inclusive[name] += weight
        where = "other"
        for _, file in reversed(frames):
            where = category(file)
            if where != "other":
                break
        categories[where] += weight

    def shares(counter: Counter[str], limit: int | None = None) -> list[list]:
        return [
            [name, round(100 * weight / samples, 1)] for name, weight in counter.most_common(limit)
        ]

    expected = seconds * rate
    return {
        "samples": samples,
        "busy_percent": round(100 * samples / expected, 1) if expected else None,
        "by_category_percent": shares(categories) if samples else [],
        "top_self_percent": shares(self_time, top) if samples else [],
        "top_inclusive_percent": shares(inclusive, top) if samples else [],
    }


def render(name: str, summary: dict) -> str:
    lines = [
        f"{name}: {summary['samples']} samples; running Python (holding the GIL) "
        f"{summary['busy_percent']}% of the time, on a core {summary.get('on_cpu_percent')}% "
        "(from /proc: the rest is the kernel's work for it, its sockets and wake-ups)"
    ]
    lines.append("  where the busy time goes:")
    lines += [f"    {share:5.1f}%  {what}" for what, share in summary["by_category_percent"]]
    lines.append("  functions, own time:")
    lines += [f"    {share:5.1f}%  {what}" for what, share in summary["top_self_percent"]]
    lines.append("  functions, with what they call:")
    lines += [f"    {share:5.1f}%  {what}" for what, share in summary["top_inclusive_percent"]]
    return "\n".join(lines)
