"""Allocators joining and leaving while a workload's events flow (tests/support/allocator_runs.py
runs a fixed number of them).

One allocator starts; the events are published in small confirmed steps, in the timeline's
order, and each change waits for a positive sign while they keep flowing: two more allocators
start and each takes part (its log says it handled events); one is stopped (SIGTERM) and exits;
then the other is killed (SIGKILL); the rest of the day is published and the one left finishes
it.
"""

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import aio_pika
import asyncpg

from shared.topology import EXCHANGE
from tests.support.allocator_runs import (
    Run,
    allocator_env,
    answered,
    collect,
    publish_events,
    wait_until_handled,
)
from tests.support.stack import free_port
from tests.support.workload import Workload
from tools.local_services import ServiceProcess
from tools.sandbox import sandbox

STEP = 20  # events per confirmed step while waiting for a sign


class Flow:
    """The workload's events, published in order, a step at a time."""

    def __init__(self, exchange: aio_pika.abc.AbstractExchange, work: Workload) -> None:
        self.exchange = exchange
        self.events = work.events
        self.sent = 0

    async def step(self, size: int = STEP) -> bool:
        """Publish the next events; False when none are left."""
        batch = self.events[self.sent : self.sent + size]
        await publish_events(self.exchange, batch)
        self.sent += len(batch)
        return bool(batch)

    async def until(self, sign: Callable[[], bool], what: str) -> None:
        """Keep publishing until the sign shows; once everything is out, keep looking."""
        deadline = time.monotonic() + 300  # a guard for a sign that never comes, not a limit
        while not sign():
            assert time.monotonic() < deadline, f"no sign that {what}"
            if not await self.step():
                await asyncio.sleep(0.1)


def handled(allocator: ServiceProcess) -> int:
    return answered(allocator.log_path)[0]


async def run_joining_and_leaving(work: Workload, log_dir: Path) -> tuple[Run, list[int]]:
    """The run (the killed allocator's exit left out of its exit codes) and each allocator's
    events handled: [first, stopped, killed]."""
    log_dir.mkdir()
    async with sandbox("plut_joining") as box:
        allocators = [
            ServiceProcess("allocator", free_port(), allocator_env(box), log_dir / f"{name}.log")
            for name in ("first", "stopped", "killed")
        ]
        first, stopped, killed = allocators
        first.start()
        try:
            await first.wait_ready()
            connection = await aio_pika.connect_robust(box.amqp_url)
            database = await asyncpg.connect(box.database_url)
            try:
                started = time.monotonic()
                channel = await connection.channel(publisher_confirms=True)
                flow = Flow(await channel.get_exchange(EXCHANGE), work)
                await flow.until(lambda: handled(first) > 0, "the first allocator works")
                for joining in (stopped, killed):
                    joining.start()
                for joining in (stopped, killed):
                    await joining.wait_ready()
                await flow.until(
                    lambda: handled(stopped) > 0 and handled(killed) > 0,
                    "the joining allocators take part",
                )
                stopped.terminate()
                await flow.until(lambda: stopped.process.poll() is not None, "one stopped")
                killed.kill()  # while it holds messages: the flow goes on
                while await flow.step(500):
                    pass
                await wait_until_handled(database, connection, [first], work, (stopped, killed))
                seconds = time.monotonic() - started
                exit_codes = [first.stop(), stopped.stop()]
                run = await collect(database, connection, allocators, exit_codes, seconds)
                return run, [handled(allocator) for allocator in allocators]
            finally:
                await database.close()
                await connection.close()
        finally:
            for allocator in allocators:
                allocator.stop()
