"""What grows in the notifier's memory with the messages it sends, counted by messages rather
than by wall time, so a loaded machine slows it but does not change it.

    .venv/bin/python -m bench.notifier_memory --rounds 8 --frames 0 --trim   # RSS, malloc: ~5 min
    .venv/bin/python -m bench.notifier_memory --rounds 4 --allocations 500    # and tracemalloc

The notifier runs as a process (only WhatsApp configured, pointed at a local stub, as in
`bench.notifier_send`), started through this module's `serve`, which turns tracemalloc on
(`--frames`, 0 for off: with 25 frames the service is ten times slower and tracemalloc's own
tables grow its RSS) and dumps the process's state whenever it gets SIGUSR1, then runs the
service's own `__main__` untouched. Each round publishes M order.placed and their
order.allocated (the buyer's message each, and the producer's units sold, a message a consumed
batch), waits until the stub took
every message and the notifier has nothing left (no pending message, an empty outbox), then
dumps: RSS; malloc's bytes in use and free in its arenas (glibc `mallinfo2`: native memory
tracemalloc does not see, and free memory it keeps); pymalloc's blocks; gc-tracked objects by
type; with `--trim`, RSS again after `malloc_trim(0)` (what was only malloc's free memory); and
with tracemalloc, a snapshot. Growth that goes on round after round in proportion to the
messages is a leak; what the first rounds add and then stops is warm-up (pools, statement
caches, pydantic's cache of JSON strings, which holds at most 16,384).
"""

import argparse
import asyncio
import ctypes
import gc
import os
import pickle
import runpy
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path

import asyncpg

from bench.notifier_send import (
    PRODUCER,
    allocation,
    buyers,
    envelope,
    everyone_told,
    notifier_env,
    publish_events,
    until,
)
from shared.bus import connect
from shared.events import ProducerRegistered
from shared.logging import configure_logging
from tests.support.provider_stubs import WhatsAppCloudStub
from tests.support.stack import free_port
from tools.local_services import ROOT, ServiceProcess
from tools.sandbox import sandbox

DUMPS = "NOTIFIER_MEMORY_DUMPS"  # where `serve` writes its snapshots
TRIM = "NOTIFIER_MEMORY_TRIM"  # set: `serve` calls malloc_trim after each snapshot
QUIET = """
SELECT (SELECT count(*) FROM notifier.messages WHERE status = 'pending')
     + (SELECT count(*) FROM notifier.outbox)
"""


class MallInfo(ctypes.Structure):
    """glibc's `struct mallinfo2`: what malloc holds, summed over its arenas."""

    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()
        )
    ]


def malloc_state() -> dict[str, int]:
    """In use and free in malloc's arenas, and in its own mmaps: native memory (C extensions,
    Rust, big Python objects) that tracemalloc's Python blocks do not show."""
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MallInfo
    info = libc.mallinfo2()
    return {"in_use": info.uordblks, "free": info.fordblks, "mmapped": info.hblkhd}


def serve(frames: int) -> None:
    """In the notifier's process: tracemalloc on (unless `frames` is 0), a snapshot per SIGUSR1,
    then the service."""
    if frames:
        tracemalloc.start(frames)
    dumps = Path(os.environ[DUMPS])
    taken = 0

    def dump(_signal, _frame) -> None:
        nonlocal taken
        gc.collect()
        state = {
            "types": Counter(type(o).__name__ for o in gc.get_objects()),
            "blocks": sys.getallocatedblocks(),
            "malloc": malloc_state(),
            "snapshot": None,
            "rss_mb": rss_mb(os.getpid()),
        }
        if os.environ.get(TRIM):
            # What malloc gives back: RSS that was only free memory held in its arenas.
            ctypes.CDLL("libc.so.6").malloc_trim(0)
            state["trimmed_rss_mb"] = rss_mb(os.getpid())
        if frames:
            state["snapshot"] = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)]
            )
            state["tracemalloc_overhead"] = tracemalloc.get_tracemalloc_memory()
        taken += 1
        partial = dumps / f"{taken}.part"
        with partial.open("wb") as out:
            pickle.dump(state, out)
        partial.rename(dumps / f"{taken}.pickle")

    signal.signal(signal.SIGUSR1, dump)
    runpy.run_module("services.notifier", run_name="__main__")


class TracedNotifier(ServiceProcess):
    """The notifier through `serve` instead of `python -m services.notifier`."""

    frames: int = 25

    def start(self) -> None:
        self._log_file = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.notifier_memory", "--serve", str(self.frames)],
            cwd=ROOT,
            env={**os.environ, **self.env, "HTTP_PORT": str(self.port)},
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError("no VmRSS")


async def snapshot(service: ServiceProcess, dumps: Path, number: int) -> dict:
    service.process.send_signal(signal.SIGUSR1)
    path = dumps / f"{number}.pickle"
    await until(path.exists, 300, f"snapshot {number}")
    with path.open("rb") as dumped:
        return pickle.load(dumped)


async def quiet(database_url: str) -> None:
    """Wait until the notifier has nothing left to do: every message ended, its outbox empty."""
    conn = await asyncpg.connect(database_url)
    try:
        while await conn.fetchval(QUIET):
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def run(args: argparse.Namespace) -> list[dict]:
    work = Path(tempfile.mkdtemp(prefix="bench-notifier-memory-"))
    stub = await WhatsAppCloudStub().start()
    taken: list[dict] = []
    async with sandbox() as box:
        service = TracedNotifier(
            name="notifier",
            port=free_port(),
            env={
                **notifier_env(box, stub),
                DUMPS: str(work),
                TRIM: "1" if args.trim else "",
            },
            log_path=work / "notifier.log",
        )
        service.frames = args.frames
        service.start()
        broker = await connect(box.amqp_url, "bench")
        try:
            await service.wait_ready(timeout=120)
            maker = ProducerRegistered(
                producer_id=PRODUCER, name="Ibu Wati", regency="Kapuas", phone="+6281299999999"
            )
            await publish_events(broker, [envelope(maker, "bench-producer")])
            taken.append(await snapshot(service, work, 1))
            for round_ in range(args.rounds):
                started = time.monotonic()
                orders = buyers(args.allocations, offset=round_ * args.allocations)
                await publish_events(broker, orders)
                for start in range(0, len(orders), args.chunk):
                    chunk = orders[start : start + args.chunk]
                    await publish_events(broker, [allocation(order) for order in chunk])
                    await asyncio.sleep(len(chunk) / args.rate)
                await until(lambda: everyone_told(stub, 0, args.allocations), 900, "all sent")
                sent = len(stub.deliveries)
                stub.deliveries.clear()  # the stub's own record is this process's memory
                await quiet(box.database_url)
                await asyncio.sleep(args.settle)
                taken.append(await snapshot(service, work, round_ + 2))
                print(
                    f"round {round_ + 1}: {sent} messages in "
                    f"{time.monotonic() - started:.0f} s, RSS {taken[-1]['rss_mb']:.1f} MB",
                    flush=True,
                )
        finally:
            await broker.connection.close()
            service.stop()
            await stub.stop()
    print(f"dumps and the notifier's log: {work}")
    return taken


def report(taken: list[dict], allocations_per_round: int, top: int, frames: int) -> str:
    lines = [
        "round  allocs     RSS MB  trimmed  malloc in use/free MB  pymalloc blocks  objects  "
        "traced MB"
    ]
    for n, t in enumerate(taken):
        trimmed = t.get("trimmed_rss_mb")
        traced = t["snapshot"] and sum(s.size for s in t["snapshot"].statistics("filename"))
        lines.append(
            f"{n:>5}  {n * allocations_per_round:>8}  {t['rss_mb']:>7.1f}  "
            + (f"{trimmed:>7.1f}  " if trimmed else "      -  ")
            + f"{t['malloc']['in_use'] / 2**20:>10.1f} / {t['malloc']['free'] / 2**20:<8.1f}  "
            f"{t['blocks']:>15}  {sum(t['types'].values()):>7}  "
            + (f"{traced / 2**20:>9.2f}" if traced else "-")
        )
    # The first round warms up (pools, statement caches, pydantic's string cache): from the second.
    first, last = taken[min(2, len(taken) - 1)], taken[-1]
    lines.append(f"\nobject types that grew (snapshot {taken.index(first)} to {len(taken) - 1}):")
    grown = Counter(last["types"])
    grown.subtract(first["types"])
    lines.extend(f"  {count:>+8}  {name}" for name, count in grown.most_common(15) if count > 0)
    if last["snapshot"] is None:
        return "\n".join(lines)
    lines.append("\nallocations that grew most, by traceback:")
    for stat in last["snapshot"].compare_to(first["snapshot"], "traceback")[:top]:
        if stat.size_diff <= 0:
            continue
        lines.append(f"  {stat.size_diff / 1024:+.1f} KiB, {stat.count_diff:+} blocks")
        lines.extend(f"      {frame}" for frame in stat.traceback.format(limit=frames)[-16:])
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        frames = int(sys.argv[2])
        sys.argv = ["services.notifier"]
        serve(frames)
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--allocations", type=int, default=1000, help="per round")
    parser.add_argument("--rate", type=float, default=200.0, help="allocations per second")
    parser.add_argument("--chunk", type=int, default=50)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds before a snapshot")
    parser.add_argument("--frames", type=int, default=25)
    parser.add_argument(
        "--trim", action="store_true", help="malloc_trim at each snapshot; report RSS after it"
    )
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    configure_logging("bench", "console", "WARNING")
    snapshots = asyncio.run(run(args))
    print(report(snapshots, args.allocations, args.top, args.frames))
