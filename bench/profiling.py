"""Sampling profiles of the services under load, with py-spy, and what they say in a few lines.

py-spy (`pip install py-spy` into the venv; the suite says so when it is missing) attaches to
a running process and samples its Python stacks `rate` times a second without stopping it
(`--nonblocking`). Idle time (the event loop waiting in epoll) is left out, so the share of
samples taken is how busy the process was, and each function's share is of that busy time.

The summary groups the busy time by where it is spent (the services' own code, asyncpg,
aio-pika, aiohttp, pydantic, logging, the event loop itself) and lists the functions with the
most time on their own ("self") and with what they call ("inclusive").
"""

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

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


def start(pid: int, seconds: float, output: Path, rate: int = 100) -> subprocess.Popen:
    """py-spy recording `pid` for `seconds` into `output` (collapsed stacks)."""
    executable = available()
    if executable is None:
        raise RuntimeError("py-spy is not installed: .venv/bin/python -m pip install py-spy")
    return subprocess.Popen(
        [
            executable,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(max(int(seconds), 1)),
            "--rate",
            str(rate),
            "--format",
            "raw",
            "--nonblocking",
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


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
        f"{name}: {summary['samples']} samples, busy {summary['busy_percent']}% of the time "
        "(of one core; idle = waiting in the event loop)"
    ]
    lines.append("  where the busy time goes:")
    lines += [f"    {share:5.1f}%  {what}" for what, share in summary["by_category_percent"]]
    lines.append("  functions, own time:")
    lines += [f"    {share:5.1f}%  {what}" for what, share in summary["top_self_percent"]]
    lines.append("  functions, with what they call:")
    lines += [f"    {share:5.1f}%  {what}" for what, share in summary["top_inclusive_percent"]]
    return "\n".join(lines)
