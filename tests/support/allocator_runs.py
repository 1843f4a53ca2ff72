"""Allocators alone on a sandbox of their own, fed a workload's events straight onto the bus.

Intake and the orders service are not started: the events they would publish are published
here, in the order of the workload's timeline, while the allocators consume.
"""

import asyncio
import json
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import aio_pika
import asyncpg

from shared.bus import publish
from shared.partitions import PARTITION_HEADER, event_partition
from shared.topology import EXCHANGE, QUEUES
from tests.support.stack import free_port
from tests.support.workload import Product, Workload
from tools.local_services import ServiceProcess
from tools.sandbox import sandbox

# Smaller than the workload's gap between an early cancel and its order.
PUBLISH_BATCH = 500
RETRIED = {"event": "event handling interrupted; retrying"}
ERROR = {"level": "error"}
QUEUE = QUEUES["allocator"]


@dataclass
class Run:
    lots: dict[uuid.UUID, asyncpg.Record]
    orders: dict[uuid.UUID, asyncpg.Record]
    allocations: list[asyncpg.Record]
    inbox: list[uuid.UUID]
    early_cancellations: set[uuid.UUID]
    handled_per_process: list[int]
    errors_logged: int
    retries: int  # batches that met a deadlock or another transient error and ran again
    exit_codes: list[int | None]
    left_in_queues: dict[str, int]
    seconds: float

    def allocated(self) -> dict[Product, int]:
        totals: dict[Product, int] = defaultdict(int)
        for lot in self.lots.values():
            totals[(lot["hub"], lot["sku"])] += lot["allocated"]
        return dict(totals)


def allocator_env(box) -> dict[str, str]:
    # Beats often, so a joining replica is given partitions soon after it starts.
    return {
        "DATABASE_URL": box.database_url,
        "AMQP_URL": box.amqp_url,
        "LOG_FORMAT": "json",
        "MEMBER_HEARTBEAT_SECONDS": "0.5",
    }


async def run_allocators(
    work: Workload, processes: int, log_dir: Path, *, partitioned: bool = True
) -> Run:
    """Start `processes` allocators on a fresh sandbox, publish the day, wait, stop, look.

    `partitioned=False` publishes without the partition header, as a relay from before the
    partitions did: every event then waits in the shared queue, which the allocators compete
    for (bench/partitions.py measures both)."""
    log_dir.mkdir()
    async with sandbox("plut_replicas") as box:
        env = allocator_env(box)
        allocators = [
            ServiceProcess("allocator", free_port(), env, log_dir / f"allocator-{n}.log")
            for n in range(processes)
        ]
        for allocator in allocators:
            allocator.start()
        try:
            await asyncio.gather(*(allocator.wait_ready() for allocator in allocators))
            connection = await aio_pika.connect_robust(box.amqp_url)
            database = await asyncpg.connect(box.database_url)
            try:
                started = time.monotonic()
                await publish_all(connection, work, partitioned=partitioned)
                await wait_until_handled(database, connection, allocators, work)
                seconds = time.monotonic() - started
                for allocator in allocators:
                    allocator.terminate()  # all at once, as a scale-down does
                exit_codes = [allocator.stop() for allocator in allocators]
                return await collect(database, connection, allocators, exit_codes, seconds)
            finally:
                await database.close()
                await connection.close()
        finally:
            for allocator in allocators:
                allocator.stop()


async def collect(
    database: asyncpg.Connection,
    connection: aio_pika.abc.AbstractRobustConnection,
    allocators: list[ServiceProcess],
    exit_codes: list[int | None],
    seconds: float,
) -> Run:
    """What the allocators left, once they all stopped."""
    return Run(
        lots={r["delivery_id"]: r for r in await database.fetch(LOTS)},
        orders={r["order_id"]: r for r in await database.fetch(ORDERS)},
        allocations=await database.fetch(ALLOCATIONS),
        inbox=[r["event_id"] for r in await database.fetch(INBOX)],
        early_cancellations={r[0] for r in await database.fetch(EARLY)},
        handled_per_process=[answered(a.log_path)[0] for a in allocators],
        errors_logged=sum(count(a.log_path, ERROR) for a in allocators),
        retries=sum(count(a.log_path, RETRIED) for a in allocators),
        exit_codes=exit_codes,
        left_in_queues=await messages_left(connection),
        seconds=seconds,
    )


LOTS = "SELECT delivery_id, hub, sku, producer_id, accepted, allocated FROM allocator.lots"
ORDERS = "SELECT order_id, hub, sku, quantity, allocated, forfeited, state FROM allocator.queue"
ALLOCATIONS = "SELECT order_id, delivery_id, quantity, state, hub, sku FROM allocator.allocations"
INBOX = "SELECT event_id FROM allocator.inbox"
EARLY = "SELECT order_id FROM allocator.early_cancellations"


async def publish_all(
    connection: aio_pika.abc.AbstractRobustConnection, work: Workload, *, partitioned: bool = True
) -> None:
    """In batches, each confirmed before the next goes, so the timeline's order holds."""
    async with connection.channel(publisher_confirms=True) as channel:
        exchange = await channel.get_exchange(EXCHANGE)
        for start in range(0, len(work.events), PUBLISH_BATCH):
            batch = work.events[start : start + PUBLISH_BATCH]
            await publish_events(exchange, batch, partitioned=partitioned)


async def publish_events(
    exchange: aio_pika.abc.AbstractExchange, events: list, *, partitioned: bool = True
) -> None:
    """Each event alone, with its partition as the outbox relay heads it (shared/outbox.py)."""
    await asyncio.gather(
        *(
            publish(
                exchange,
                body=event.model_dump_json().encode(),
                routing_key=event.type,
                message_id=str(event.id),
                correlation_id=event.correlation_id,
                event_type=event.type,
                headers=partition_header(event) if partitioned else None,
            )
            for event in events
        )
    )


def partition_header(event) -> dict | None:
    partition = event_partition(event.type, event.hub, event.payload)
    return None if partition is None else {PARTITION_HEADER: str(partition)}


async def wait_until_handled(
    database: asyncpg.Connection,
    connection: aio_pika.abc.AbstractRobustConnection,
    allocators: list[ServiceProcess],
    work: Workload,
    gone: tuple[ServiceProcess, ...] = (),
) -> None:
    """Every event in the inbox, and every message (duplicates too) taken and answered.

    The inbox can be complete while a second copy is still in a process's hands; each batch's
    log line counts the copies it answered, so the logs say when none is left.
    """
    # A guard for a sign that never comes, not a limit: below pytest's own timeout, so that a
    # stall says where it stands (what is handled, what waits in which queue).
    deadline = time.monotonic() + 240
    while True:
        recorded = await database.fetchval("SELECT count(*) FROM allocator.inbox")
        if recorded == len(work.distinct_ids):
            copies = sum(sum(answered(a.log_path)) for a in (*allocators, *gone))
            if copies >= len(work.events):
                return
        for allocator in allocators:
            assert allocator.process.poll() is None, allocator.log_tail()
        dead = (await messages_left(connection))[QUEUE.dead_letter_name]
        assert dead == 0, f"{dead} events dead-lettered:\n" + allocators[0].log_tail()
        assert time.monotonic() < deadline, (
            f"{recorded} of {len(work.distinct_ids)} handled; waiting: "
            f"{await messages_left(connection)}; copies answered: "
            f"{sum(sum(answered(a.log_path)) for a in (*allocators, *gone))}"
        )
        await asyncio.sleep(0.25)


def log_entries(log_path: Path) -> list[dict]:
    """The JSON lines of a service's log, read as what they say rather than how they are spelt."""
    entries = []
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line a dying process cut short
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def count(log_path: Path, fields: dict) -> int:
    """The lines that say all of `fields`."""
    return sum(
        all(entry.get(key) == value for key, value in fields.items())
        for entry in log_entries(log_path)
    )


def answered(log_path: Path) -> tuple[int, int]:
    """(events handled, duplicates skipped), from the consumer's line per batch."""
    handled = duplicates = 0
    for entry in log_entries(log_path):
        if entry.get("event") == "events handled":
            handled += entry["handled"]
            duplicates += entry["duplicates"]
    return handled, duplicates


async def messages_left(connection: aio_pika.abc.AbstractRobustConnection) -> dict[str, int]:
    async with connection.channel() as channel:
        left = {}
        for name in (*QUEUE.queue_names, QUEUE.dead_letter_name):
            queue = await channel.declare_queue(name, passive=True)
            left[name] = queue.declaration_result.message_count
        return left


def served_out_of_turn(run: Run, work: Workload) -> list[uuid.UUID]:
    """Orders given units while an earlier order of their class that takes part of its quantity
    was still short (cancelled orders aside): fifo's fairness, for orders that arrive in order."""
    queues: dict[tuple, list] = defaultdict(list)
    for order_id, (product, order) in work.orders.items():
        if order_id not in work.cancelled:
            queues[(product, order.priority_class)].append(order)
    out_of_turn = []
    for orders in queues.values():
        someone_short = False
        for order in sorted(orders, key=lambda o: (o.placed_at, o.sequence)):
            allocated = run.orders[order.order_id]["allocated"]
            if someone_short and allocated:
                out_of_turn.append(order.order_id)
            someone_short |= order.accept_partial and allocated < order.quantity
    return out_of_turn
