"""How fast the allocator consumes order.placed, against a consumer that does no work at all.

    .venv/bin/python -m bench.allocator_consume                    # 20,000 orders
    .venv/bin/python -m bench.allocator_consume --messages 50000 --json results.json

Target: the allocator consumes order.placed at no less than half the rate at which the same
messages are consumed and acked with no work at all, measured in the same run.

In one sandbox (database and vhost), the same M order.placed v3 envelopes are published (with
confirms, not timed) before each consumer runs, so that each drains a backlog of M messages:

1. baseline, run before and again after the allocator (the ratio is against their mean, since
   the machine's pace drifts within a run): into a quorum queue of our own; a bare aio-pika
   consumer with the service's prefetch acks each message. Timed from the first delivery to
   the last ack.
2. allocator: to the events exchange, so they wait in `allocator.events`; then the allocator
   starts as a real process. Timed on the database's clock from the start of its first
   transaction (the earliest `allocator.inbox.handled_at`) to the moment the last message's
   event id is committed in the inbox. Start-up (migrations, connections) is left out, as the
   baseline's is. Its outbox relay runs in the same process and publishes one order.queued per
   order meanwhile: that is part of its work, and how many it got out is reported.
"""

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aio_pika
import asyncpg

import services.allocator
from bench.allocate_delivery import LOAD_ORDERS
from bench.measure import cpu_seconds
from bench.order_events import HUB, SKU, Message, orders_placed, publish_all
from services.allocator.app import Settings
from shared.bus import Broker, connect
from shared.db import migrate, service_migrations
from shared.logging import configure_logging
from shared.topology import EXCHANGE
from tests.support.stack import free_port
from tools.local_services import ServiceProcess
from tools.sandbox import Sandbox, sandbox

TARGET_RATIO = 0.5
BASELINE_QUEUE = "bench.baseline"
QUEUED_TAP = "bench.order-queued"  # counts the order.queued the allocator publishes


async def baseline(
    broker: Broker, messages: list[Message], prefetch: int, label: str = "bare aio-pika, ack only"
) -> dict:
    """Publish into a quorum queue of our own, then consume and ack each with no work."""
    channel = await broker.connection.channel()
    await channel.set_qos(prefetch_count=prefetch)
    queue = await channel.declare_queue(
        BASELINE_QUEUE, durable=True, arguments={"x-queue-type": "quorum"}
    )
    published = await publish_all(broker.channel.default_exchange, queue.name, messages)
    done = asyncio.Event()
    clock: dict[str, float] = {}
    acked = 0

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        nonlocal acked
        clock.setdefault("first", time.perf_counter())
        await message.ack()
        acked += 1
        if acked == len(messages):
            clock["last"] = time.perf_counter()
            done.set()

    tag = await queue.consume(on_message)
    await asyncio.wait_for(done.wait(), timeout=max(60.0, len(messages) / 100))
    await queue.cancel(tag)
    await channel.close()
    return summary(label, acked, clock["last"] - clock["first"], published)


async def allocator(
    box: Sandbox, broker: Broker, messages: list[Message], logs: Path, waiting: int
) -> dict:
    """Leave the messages in `allocator.events`, then start the allocator and time it.

    `waiting`: orders already in the queue (placed earlier, the statistics fresh)."""
    conn = await asyncpg.connect(box.database_url, server_settings={"search_path": "allocator"})
    try:
        # Migrated beforehand (the service finds nothing to do), so the inbox can be watched.
        directory = Path(services.allocator.__file__).parent / "migrations"
        await migrate(conn, "allocator", service_migrations(directory))
        if waiting:
            await conn.execute(LOAD_ORDERS, HUB, SKU, waiting)
            await conn.execute("VACUUM ANALYZE queue")
        channel = await broker.connection.channel()
        tap = await channel.declare_queue(
            QUEUED_TAP, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await tap.bind(EXCHANGE, routing_key="order.queued")
        published = await publish_all(broker.exchanges.events, "order.placed", messages)
        service = ServiceProcess(
            name="allocator",
            port=free_port(),
            env={
                "DATABASE_URL": box.database_url,
                "AMQP_URL": box.amqp_url,
                "LOG_FORMAT": "json",
                "LOG_LEVEL": "INFO",  # as in production: a line per batch handled
            },
            log_path=logs / "allocator.log",
        )
        service.start()
        try:
            cpu: dict[str, float | None] = {}
            finished = await _handled(
                conn, service, messages, cpu, timeout=max(120, len(messages) / 50)
            )
            started = await conn.fetchval("SELECT min(handled_at) FROM inbox")
            handled = await conn.fetchval("SELECT count(*) FROM inbox")
            queued_then = await _message_count(channel, QUEUED_TAP)
            await _until(lambda: _message_count(channel, QUEUED_TAP), len(messages), timeout=120)
            drained = await conn.fetchval("SELECT clock_timestamp()")
            cpu["drained"] = cpu_seconds(service.process.pid)
            queued = await _message_count(channel, QUEUED_TAP)
        finally:
            code = service.stop()
        if handled != len(messages) or code not in (0, None):
            raise RuntimeError(
                f"the allocator handled {handled} of {len(messages)} (exit {code}):\n"
                + service.log_tail()
            )
        await channel.close()
    finally:
        await conn.close()
    result = summary("allocator", handled, (finished - started).total_seconds(), published)
    result["order_queued_while_consuming"] = queued_then
    result["order_queued_in_all"] = queued
    result["seconds_until_all_order_queued"] = round((drained - started).total_seconds(), 3)
    result["transactions"] = transactions(logs / "allocator.log")
    result["cpu_ms_per_message"] = cpu_per_message(cpu, handled)
    return result


def cpu_per_message(cpu: dict[str, float | None], handled: int) -> dict | None:
    """The allocator's CPU (from /proc) per message from its first commit: to the last one
    handled, and to the last order.queued published (its relay's work too). None when /proc
    did not say."""
    if None in (cpu.get("first"), cpu.get("handled"), cpu.get("drained")) or not handled:
        return None
    return {
        name: round((cpu[name] - cpu["first"]) * 1000 / handled, 3)
        for name in ("handled", "drained")
    }


def transactions(log: Path) -> dict | None:
    """The consumer's transactions, as its log tells them ("events handled" with the batch's
    size and milliseconds, a line per batch): how much of the time was spent in them. None when
    the log does not say (another format or level)."""
    batches = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("event") == "events handled":
            batches.append((entry["batch"], entry["batch_ms"]))
    if not batches:
        return None
    tenth = max(len(batches) // 10, 1)
    return {
        "batches": len(batches),
        "median_size": statistics.median(size for size, _ in batches),
        "seconds_in_transactions": round(sum(ms for _, ms in batches) / 1000, 3),
        "first_tenth_median_ms": statistics.median(ms for _, ms in batches[:tenth]),
        "last_tenth_median_ms": statistics.median(ms for _, ms in batches[-tenth:]),
    }


async def _handled(
    conn, service: ServiceProcess, messages: list[Message], cpu: dict, timeout: float
):
    """The database's clock when every message is committed in the inbox; `cpu` gets the
    process's CPU seconds when its first batch is seen committed and when the last is.

    One consumer takes the queue in order and commits batch after batch, so the last message's
    id (one look-up by primary key, cheap enough to ask every 10 ms) comes last; the count only
    confirms it."""
    last_id = uuid.UUID(messages[-1].event_id)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process is not None and service.process.poll() is not None:
            raise RuntimeError(f"the allocator exited:\n{service.log_tail()}")
        if "first" not in cpu and await conn.fetchval("SELECT EXISTS (SELECT FROM inbox)"):
            cpu["first"] = cpu_seconds(service.process.pid)
        seen = await conn.fetchval(
            "SELECT clock_timestamp() FROM inbox WHERE event_id = $1", last_id
        )
        if seen is not None and await conn.fetchval("SELECT count(*) FROM inbox") == len(messages):
            cpu["handled"] = cpu_seconds(service.process.pid)
            return seen
        await asyncio.sleep(0.01)
    raise TimeoutError(f"the allocator did not finish in {timeout:.0f}s:\n{service.log_tail()}")


async def _message_count(channel, name: str) -> int:
    """Asked afresh: the robust channel answers a passive declare of a known queue from memory."""
    underlay = await channel.get_underlay_channel()
    return (await underlay.queue_declare(name, passive=True)).message_count


async def _until(count, wanted: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while await count() < wanted:
        if time.monotonic() > deadline:
            raise TimeoutError(f"fewer than {wanted} after {timeout}s")
        await asyncio.sleep(0.05)


def summary(consumer: str, messages: int, seconds: float, published: float) -> dict:
    return {
        "consumer": consumer,
        "messages": messages,
        "seconds": round(seconds, 3),
        "per_second": round(messages / seconds, 1),
        "publish_seconds": round(published, 2),
    }


async def run(messages: int, skus: int, waiting: int, logs: Path | None) -> dict:
    prefetch = Settings().prefetch_count  # what the allocator process will take, too
    orders = orders_placed(messages, skus)
    async with sandbox("plut_bench") as box:
        broker = await connect(box.amqp_url, "bench")
        try:
            # The bare consumer before and after the allocator: the machine's pace drifts
            # within a run, and the ratio is taken against the two runs' mean.
            before = await baseline(broker, orders, prefetch, "bare aio-pika, before")
            print(f"measured: {before['consumer']}", flush=True)
            with tempfile.TemporaryDirectory() as scratch:
                service = await allocator(box, broker, orders, logs or Path(scratch), waiting)
            print(f"measured: {service['consumer']}", flush=True)
            after = await baseline(broker, orders, prefetch, "bare aio-pika, after")
            print(f"measured: {after['consumer']}", flush=True)
        finally:
            await broker.connection.close()
    bare_rate = (before["per_second"] + after["per_second"]) / 2
    return {
        "prefetch_count": prefetch,
        "waiting_before": waiting,
        "results": [before, service, after],
        "ratio": round(service["per_second"] / bare_rate, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--skus", type=int, default=1, help="products the orders are for")
    parser.add_argument(
        "--waiting",
        type=int,
        default=0,
        help="orders already waiting (and analysed) before the allocator starts; 0: a new hub",
    )
    parser.add_argument("--logs", type=Path, help="keep the allocator's log in this directory")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.logs:
        args.logs.mkdir(parents=True, exist_ok=True)
    configure_logging("bench", "console", "WARNING")  # the migrations' own logs, less chatty
    outcome = asyncio.run(run(args.messages, args.skus, args.waiting, args.logs))
    print(f"{'consumer':<26} {'messages':>9} {'seconds':>8} {'msgs/s':>9} {'publish s':>10}")
    for row in outcome["results"]:
        print(
            f"{row['consumer']:<26} {row['messages']:>9} {row['seconds']:>8} "
            f"{row['per_second']:>9} {row['publish_seconds']:>10}"
        )
    service = outcome["results"][1]
    print(f"ratio against the mean of the two bare runs: {outcome['ratio']}")
    print(
        f"order.queued published by the allocator: {service['order_queued_while_consuming']} "
        f"by the time it had handled all, {service['order_queued_in_all']} in all after "
        f"{service['seconds_until_all_order_queued']} s (prefetch {outcome['prefetch_count']})"
    )
    spent = service["transactions"]
    if spent:
        print(
            f"its transactions (from its log): {spent['batches']} batches of "
            f"{spent['median_size']:g} (median), {spent['seconds_in_transactions']} s in all; "
            f"median {spent['first_tenth_median_ms']} ms in the first tenth of the run, "
            f"{spent['last_tenth_median_ms']} ms in the last"
        )
    per_message = service["cpu_ms_per_message"]
    if per_message:
        print(
            f"its CPU per message after its first commit: {per_message['handled']} ms to the "
            f"last handled, {per_message['drained']} ms to the last order.queued published"
        )
    passed = outcome["ratio"] >= TARGET_RATIO
    if args.json:
        args.json.write_text(json.dumps({**outcome, "pass": passed}, indent=2) + "\n")
    print(
        f"{'PASS' if passed else 'FAIL'}: allocator / bare consumer = {outcome['ratio']} "
        f"(target >= {TARGET_RATIO})"
    )
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
