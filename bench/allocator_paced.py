"""The allocator's CPU per order when orders come at a steady pace rather than as a backlog:
a wake-up and a small transaction for every order or two, which is what the whole system's
cost per order at 50 orders/s is made of.

    .venv/bin/python -m bench.allocator_paced                       # 50 orders/s for 20 s
    .venv/bin/python -m bench.allocator_paced --rate 200 --seconds 10 --stock

The allocator runs as a real process in a sandbox (database and vhost). With --stock a delivery
big enough for every order is taken in first, so each order is served the moment it comes (one
order.allocated each); without it, each order waits (one order.queued each). Reported: the
process's CPU (from /proc) per order, from the first publish until every order is handled and
its announcement published, with and without what the idle process spent over as long (its
clock and relay), and that of the Postgres backends serving it; the messages it published per
order.
"""

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

import services.allocator
from bench.measure import cpu_seconds
from bench.order_events import HUB, SKU, orders_placed
from bench.runners import BackendCpu
from shared.bus import connect, publish
from shared.db import migrate, service_migrations
from shared.events import Envelope, SupplyReceived
from shared.logging import configure_logging
from shared.topology import EXCHANGE
from tests.support.stack import free_port
from tools.local_services import ServiceProcess
from tools.sandbox import sandbox

IDLE_SECONDS = 5.0


async def run(rate: float, seconds: float, stock: bool, log_dir: Path) -> dict:
    orders = orders_placed(int(rate * seconds), 1)
    async with sandbox("plut_bench") as box:
        broker = await connect(box.amqp_url, "bench")
        conn = await asyncpg.connect(box.database_url, server_settings={"search_path": "allocator"})
        service = None
        try:
            directory = Path(services.allocator.__file__).parent / "migrations"
            await migrate(conn, "allocator", service_migrations(directory))
            channel = await broker.connection.channel()
            taps = {}
            for key in ("order.queued", "order.allocated"):
                taps[key] = await channel.declare_queue(f"bench.{key}", durable=True)
                await taps[key].bind(EXCHANGE, routing_key=key)
            service = ServiceProcess(
                name="allocator",
                port=free_port(),
                env={
                    "DATABASE_URL": box.database_url,
                    "AMQP_URL": box.amqp_url,
                    "LOG_FORMAT": "json",
                    "LOG_LEVEL": "INFO",
                },
                log_path=log_dir / "allocator.log",
            )
            service.start()
            await service.wait_ready()
            pid = service.process.pid
            expected = len(orders)
            if stock:
                await _publish_supply(broker, 50 * len(orders))
                expected += 1
                await _until(lambda: _inbox(conn), 1)
            idle_from = cpu_seconds(pid)
            await asyncio.sleep(IDLE_SECONDS)
            idle_per_second = (cpu_seconds(pid) - idle_from) / IDLE_SECONDS

            backends = BackendCpu(conn)
            await backends.start()
            cpu_from, started = cpu_seconds(pid), time.monotonic()
            for index, message in enumerate(orders):
                await publish(
                    broker.exchanges.events,
                    body=message.body,
                    routing_key="order.placed",
                    message_id=message.event_id,
                    correlation_id=message.correlation_id,
                    event_type="order.placed",
                )
                await asyncio.sleep(max(0.0, started + (index + 1) / rate - time.monotonic()))
            await _until(lambda: _inbox(conn), expected)
            # Each order's announcements are published when the outbox is empty (with stock,
            # a buyer's daily cap leaves some orders waiting, so there is no count to wait for).
            await _until(lambda: _outbox_empty(conn), 1)
            spent, elapsed = cpu_seconds(pid) - cpu_from, time.monotonic() - started
            postgres = (await backends.used()).get("allocator", 0.0)
            published = {key: await _count(tap) for key, tap in taps.items()}
            await channel.close()
        finally:
            if service is not None:
                service.stop()
            await conn.close()
            await broker.connection.close()
    return {
        "rate": rate,
        "orders": len(orders),
        "stock": stock,
        "seconds": round(elapsed, 2),
        "cpu_ms_per_order": round(spent * 1000 / len(orders), 3),
        "cpu_ms_per_order_less_idle": round(
            (spent - idle_per_second * elapsed) * 1000 / len(orders), 3
        ),
        "idle_cpu_ms_per_second": round(idle_per_second * 1000, 2),
        # The Postgres backends serving the allocator's sessions (its round trips' other half).
        "postgres_cpu_ms_per_order": round(postgres * 1000 / len(orders), 3),
        "published_per_order": {k: round(v / len(orders), 3) for k, v in published.items()},
    }


async def _publish_supply(broker, units: int) -> None:
    supply = Envelope.wrap(
        SupplyReceived(
            delivery_id=uuid.uuid4(),
            producer_id=uuid.uuid4(),
            sku=SKU,
            quantity=units,
            rejected=0,
            accepted=units,
            received_at=datetime.now(UTC),
        ),
        hub=HUB,
        correlation_id="bench-supply",
    )
    await publish(
        broker.exchanges.events,
        body=supply.model_dump_json().encode(),
        routing_key=supply.type,
        message_id=str(supply.id),
        correlation_id=supply.correlation_id,
        event_type=supply.type,
    )


async def _inbox(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT count(*) FROM inbox")


async def _outbox_empty(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT count(*) = 0 FROM outbox")


async def _count(queue) -> int:
    underlay = await queue.channel.get_underlay_channel()
    return (await underlay.queue_declare(queue.name, passive=True)).message_count


async def _until(count, wanted: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while await count() < wanted:
        if time.monotonic() > deadline:
            raise TimeoutError(f"fewer than {wanted} after {timeout}s")
        await asyncio.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="orders per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--stock", action="store_true", help="every order served at once")
    parser.add_argument("--logs", type=Path, default=Path("/tmp"), help="the allocator's log")
    args = parser.parse_args()
    configure_logging("bench", "console", "WARNING")
    result = asyncio.run(run(args.rate, args.seconds, args.stock, args.logs))
    for name, value in result.items():
        print(f"{name:<28} {value}")


if __name__ == "__main__":
    main()
