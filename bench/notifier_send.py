"""How fast the notifier tells people, through a local WhatsApp Cloud API stub.

    .venv/bin/python -m bench.notifier_send                      # 2,000 allocations, then 15 s
    .venv/bin/python -m bench.notifier_send --allocations 5000 --rate 200 --json out.json

In one sandbox (database and vhost), the notifier runs as a real process with only WhatsApp
configured, pointed at `tests.support.provider_stubs.WhatsAppCloudStub` in this process; the
buyers and the producer it tells are known to it first (order.placed, producer.registered). Then:

1. throughput: M order.allocated are published at once (with confirms); each asks for two
   messages, the buyer's and the producer's (units sold). Messages per second is the number
   the stub accepted divided by the time from the first publish to the last acceptance.
2. latency: order.allocated published at a steady rate for S seconds, each stamped as it is
   published; the time from that moment (the allocator's commit plus its relay, in the system)
   to the stub accepting the buyer's message: median, p99 and max.
"""

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from bench import profiling
from bench.measure import cpu_seconds
from shared.bus import Broker, connect, publish
from shared.events import (
    Buyer,
    Envelope,
    EventPayload,
    LotShare,
    OrderAllocated,
    OrderPlaced,
    ProducerRegistered,
)
from shared.logging import configure_logging
from shared.order_codes import new_order_code, shown
from tests.support.provider_stubs import WhatsAppCloudStub
from tests.support.stack import free_port
from tools.local_services import ServiceProcess
from tools.sandbox import Sandbox, sandbox

HUB = "bench-kalteng"
SKU = "masker-kain"
PUBLISH_CHUNK = 500
PRODUCER = uuid.UUID(int=1, version=4)


def envelope(payload: EventPayload, correlation_id: str) -> Envelope:
    return Envelope.wrap(payload, hub=HUB, correlation_id=correlation_id)


def buyers(count: int, offset: int) -> list[Envelope]:
    placed_at = datetime.now(UTC) - timedelta(hours=1)
    orders = []
    for n in range(offset, offset + count):
        order_id = uuid.uuid4()
        buyer = Buyer(
            name=f"Pembeli {n}", type="individual", region="Kapuas", phone=f"+62812{n:08d}"
        )
        placed = OrderPlaced(
            code=shown(new_order_code()),
            order_id=order_id,
            sku=SKU,
            quantity=1,
            placed_at=placed_at,
            sequence=n + 1,
            buyer=buyer,
            buyer_key=buyer.key(order_id),
            priority_class="public",
            accept_partial=True,
        )
        orders.append(envelope(placed, f"bench-order-{n}"))
    return orders


def allocation(order: Envelope) -> Envelope:
    given = OrderAllocated(
        order_id=order.payload["order_id"],
        sku=SKU,
        quantity=1,
        allocated_total=1,
        requested=1,
        lots=(LotShare(delivery_id=uuid.uuid4(), producer_id=PRODUCER, quantity=1),),
        rule="fifo",
        policy_version=0,
        hold_until=None,
    )
    return order.follow(given)


async def publish_events(broker: Broker, events: list[Envelope]) -> None:
    for start in range(0, len(events), PUBLISH_CHUNK):
        await asyncio.gather(
            *(publish_one(broker, e) for e in events[start : start + PUBLISH_CHUNK])
        )


async def publish_one(broker: Broker, event: Envelope) -> None:
    await publish(
        broker.exchanges.events,
        body=event.model_dump_json().encode(),
        routing_key=event.type,
        message_id=str(event.id),
        correlation_id=event.correlation_id,
        event_type=event.type,
    )


async def until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


STAGES = """
SELECT extract(epoch FROM max(created_at) - min(created_at)) AS recorded,
       extract(epoch FROM max(routed_at) - min(created_at)) AS routed,
       extract(epoch FROM max(sent_at) - min(created_at)) AS sent
FROM notifier.messages
"""


async def stages(database_url: str) -> dict:
    """Where the time went, on the database's clock: from the first message recorded (by the
    consumer) to the last recorded, the last routed, and the last marked sent."""
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(STAGES)
    finally:
        await conn.close()
    return {f"{stage}_s": round(float(seconds), 2) for stage, seconds in row.items()}


def cpu_ms_per(pid: int, cpu_before: float, count: int) -> float | None:
    """The process's CPU since `cpu_before` (seconds), in ms per one of `count`."""
    cpu = cpu_seconds(pid)
    return None if cpu is None or not count else round((cpu - cpu_before) * 1000 / count, 3)


async def throughput(
    broker: Broker, stub: WhatsAppCloudStub, pid: int, args: argparse.Namespace
) -> dict:
    allocations = args.allocations
    orders = buyers(allocations, offset=0)
    await publish_events(broker, orders)
    await settled(pid)
    before = len(stub.deliveries)
    cpu_before = cpu_seconds(pid) or 0.0
    recording = None
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
        raw = args.profile / "profile-notifier-send.txt"
        recording = profiling.Recording(pid, args.profile_seconds, raw)
    started = time.monotonic()
    await publish_events(broker, [allocation(order) for order in orders])
    await until(lambda: everyone_told(stub, before, allocations), 600, "every message accepted")
    taken = stub.deliveries[before:]
    seconds = taken[-1].at - started
    results = {
        "messages": len(taken),
        "seconds": round(seconds, 2),
        "messages_per_second": round(len(taken) / seconds, 1),
        "cpu_ms_per_message": cpu_ms_per(pid, cpu_before, len(taken)),
    }
    if recording is not None:
        results["profile"] = (await recording.finish("notifier sending")).get("summary_file")
    return results


def everyone_told(stub: WhatsAppCloudStub, before: int, count: int) -> bool:
    """The stub took, since `before`, `count` buyers' messages and the producer's units_sold
    messages for `count` units (one unit each: a batch's sales of them are one message; the
    quantity is the third parameter, written with grouping, as 1.234 or 1,234)."""
    taken = stub.deliveries[before:]
    buyers = sum(d.template == "plut_order_allocated" for d in taken)
    units = sum(
        int(d.parameters[2].replace(".", "").replace(",", ""))
        for d in taken
        if d.template == "plut_units_sold"
    )
    return buyers >= count and units >= count


async def settled(pid: int, timeout: float = 120) -> None:
    """Wait until the process is nearly idle (under 5% of a core for half a second): what was
    published before is taken in, and its CPU is not counted with what follows."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = cpu_seconds(pid) or 0.0
        await asyncio.sleep(0.5)
        if (cpu_seconds(pid) or 0.0) - before <= 0.025:
            return
    raise TimeoutError("the notifier did not settle")


async def latency(
    broker: Broker, stub: WhatsAppCloudStub, rate: float, seconds: float, pid: int
) -> dict:
    count = int(rate * seconds)
    orders = buyers(count, offset=10_000_000)
    await publish_events(broker, orders)
    await settled(pid)
    cpu_before = cpu_seconds(pid) or 0.0
    before = len(stub.deliveries)
    published: dict[str, float] = {}
    started = time.monotonic()
    for n, order in enumerate(orders):
        await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
        published[str(order.payload["order_id"])] = time.monotonic()
        await publish_one(broker, allocation(order))

    def buyers_told() -> list[float]:
        told = []
        for d in stub.deliveries:
            if d.template == "plut_order_allocated":
                # The order id is one of the body's parameters (the tracking link comes last).
                order = next((p for p in d.parameters if p in published), None)
                if order is not None:
                    told.append(d.at - published[order])
        return told

    await until(lambda: len(buyers_told()) >= count, 120, "every buyer told")
    waits = sorted(buyers_told())
    await until(lambda: everyone_told(stub, before, count), 60, "every message accepted")
    return {
        "rate": rate,
        "messages": count,
        "cpu_ms_per_message": cpu_ms_per(pid, cpu_before, len(stub.deliveries) - before),
        "median_ms": round(statistics.median(waits) * 1000, 1),
        "p99_ms": round(waits[int(0.99 * (len(waits) - 1))] * 1000, 1),
        "max_ms": round(waits[-1] * 1000, 1),
    }


def notifier_env(box: Sandbox, stub: WhatsAppCloudStub) -> dict[str, str]:
    """The notifier's settings in a sandbox, with WhatsApp its only channel, at the stub."""
    return {
        "DATABASE_URL": box.database_url,
        "AMQP_URL": box.amqp_url,
        "LOG_FORMAT": "json",
        "WHATSAPP_BASE_URL": stub.base_url,
        "WHATSAPP_PHONE_NUMBER_ID": stub.phone_number_id,
        "WHATSAPP_ACCESS_TOKEN": stub.access_token,
    }


async def main(args: argparse.Namespace) -> dict:
    logs = Path(tempfile.mkdtemp(prefix="bench-notifier-"))
    stub = await WhatsAppCloudStub().start()
    async with sandbox() as box:
        service = ServiceProcess(
            name="notifier",
            port=free_port(),
            env=notifier_env(box, stub),
            log_path=logs / "notifier.log",
        )
        service.start()
        broker = await connect(box.amqp_url, "bench")
        try:
            await service.wait_ready()
            maker = ProducerRegistered(
                producer_id=PRODUCER, name="Ibu Wati", regency="Kapuas", phone="+6281299999999"
            )
            await publish_one(broker, envelope(maker, "bench-producer"))
            pid = service.process.pid
            results = {"throughput": await throughput(broker, stub, pid, args)}
            results["stages"] = await stages(box.database_url)
            results["latency"] = await latency(broker, stub, args.rate, args.seconds, pid)
        finally:
            await broker.connection.close()
            service.stop()
            await stub.stop()
    return results


def report(results: dict) -> str:
    sent, late, stage = results["throughput"], results["latency"], results["stages"]
    return "\n".join(
        [
            "notifier through a local WhatsApp Cloud API stub",
            f"  throughput   {sent['messages']:>6} messages in {sent['seconds']} s: "
            f"{sent['messages_per_second']} messages/s, "
            f"notifier CPU {sent['cpu_ms_per_message']} ms per message",
            f"  stages       from the first message recorded: all recorded after "
            f"{stage['recorded_s']} s, routed after {stage['routed_s']} s, "
            f"marked sent after {stage['sent_s']} s",
            f"  latency      order.allocated published -> buyer's message accepted, "
            f"{late['messages']} at {late['rate']}/s: median {late['median_ms']} ms, "
            f"p99 {late['p99_ms']} ms, max {late['max_ms']} ms; "
            f"notifier CPU {late['cpu_ms_per_message']} ms per message",
        ]
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--allocations", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=100.0, help="allocations per second")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--profile", type=Path, help="folder for a py-spy profile (throughput)")
    parser.add_argument("--profile-seconds", type=float, default=10.0)
    arguments = parser.parse_args()
    configure_logging("bench", "console", "WARNING")
    figures = asyncio.run(main(arguments))
    print(report(figures))
    if arguments.json:
        arguments.json.write_text(json.dumps(figures, indent=2))
