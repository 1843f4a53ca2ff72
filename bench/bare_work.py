"""The bare-work ceiling: what one order costs in I/O alone, from a plain loop with no HTTP.

    python -m bench.bare_work --database-url ... --amqp-url ... --concurrency 64 --seconds 10

`--concurrency` tasks in one process (one core, as one service process has) each repeat, as
fast as they can: the order and its outbox row written with the orders service's own statements
(`store.ORDERS_INSERT`, `outbox.OUTBOX_INSERT`, in a copy of its schema made by its migrations,
`bench_bare`), then one persistent publish of the order.placed envelope awaited until the broker
confirms it, into two quorum queues (bench/targets.py). The orders that wait while a transaction
is written go together in the next one, as the service's group commit shares one among the POSTs
that wait (services/orders/group_commit.py): every insert of orders takes its product's lock
until its commit (store/products.py), so a transaction per order would only take turns. No HTTP,
no validation, no idempotency key, no logging; the envelope's body is made once.

`--mode db` does only the transaction (asyncpg alone), `--mode publish` only the confirmed
publish (aio-pika alone): the two parts of the ceiling. The pool has a service's 10
connections (fewer when there are fewer tasks). Prints one JSON line (or writes it to
`--output`): orders, seconds, per second, each order's latency and CPU time.
"""

import argparse
import asyncio
import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import aio_pika
import asyncpg

import services.orders
from bench.measure import latency_summary
from bench.targets import ROUTING_KEY, declare_target, purge_target
from services.orders.store import orders as store
from shared.db import create_pool, migrate, service_migrations
from shared.events import Buyer, Envelope, OrderPlaced
from shared.logging import configure_logging
from shared.order_codes import new_order_code, shown
from shared.outbox import OUTBOX_INSERT
from shared.partitions import partition_of

SCHEMA = "bench_bare"
HUB = "bench-bare"
SKU = "masker-kain"
BUYER = {"name": "Bank Kalteng", "type": "bank", "region": "Palangka Raya"}
CATALOG = """
INSERT INTO catalog (hub, sku, product_id, name, unit_price) VALUES ($1, $2, $3, 'Masker', 5000)
ON CONFLICT DO NOTHING
"""


def envelope_body() -> bytes:
    order_id = uuid.uuid4()
    buyer = Buyer(**BUYER)
    placed = OrderPlaced(
        code=shown(new_order_code()),
        order_id=order_id,
        sku=SKU,
        quantity=1,
        placed_at=datetime.now(UTC),
        sequence=1,
        buyer=buyer,
        buyer_key=buyer.key(order_id),
        priority_class="public",
        accept_partial=True,
    )
    return Envelope.wrap(placed, hub=HUB, correlation_id="bench-bare").model_dump_json().encode()


class SharedTransactions:
    """The service's group commit, bare: `place` waits for the transaction that holds its order;
    those asked for while one is written go together in the next."""

    def __init__(self, pool: asyncpg.Pool, body: bytes, partition: int) -> None:
        self.pool, self.body, self.partition = pool, body, partition
        self.buyer = json.dumps(BUYER)
        self.waiting: list[tuple[uuid.UUID, asyncio.Future]] = []
        self.writing: asyncio.Task | None = None

    async def place(self, event_id: uuid.UUID) -> None:
        written = asyncio.get_running_loop().create_future()
        self.waiting.append((event_id, written))
        if self.writing is None:
            self.writing = asyncio.create_task(self._write_while_waiting())
        await written

    async def _write_while_waiting(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting, []
                try:
                    await self._write([event_id for event_id, _ in batch])
                except Exception as error:
                    for _, written in batch:
                        written.set_exception(error)
                else:
                    for _, written in batch:
                        written.set_result(None)
        finally:
            self.writing = None

    async def _write(self, event_ids: list[uuid.UUID]) -> None:
        n = len(event_ids)
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.fetch(
                store.ORDERS_INSERT,
                [uuid.uuid4() for _ in event_ids],
                [HUB] * n,
                [SKU] * n,
                [1] * n,
                [self.buyer] * n,
                [True] * n,
                ["public"] * n,
                [None] * n,
            )
            await conn.execute(
                OUTBOX_INSERT,
                event_ids,
                [ROUTING_KEY] * n,
                ["bench-bare"] * n,
                [self.body] * n,
                [self.partition] * n,
            )


async def run(args: argparse.Namespace) -> dict:
    migrations = service_migrations(Path(services.orders.__file__).parent / "migrations")
    # A service's 10 connections at most; fewer when fewer tasks could use them (the server's
    # connections are shared with whatever else runs on it).
    pool = await create_pool(args.database_url, SCHEMA, max_size=min(args.concurrency, 10))
    connection = await aio_pika.connect_robust(args.amqp_url)
    try:
        async with pool.acquire() as conn:
            await migrate(conn, SCHEMA, migrations)
            await conn.execute(CATALOG, HUB, SKU, uuid.uuid4())
        channel = await connection.channel(publisher_confirms=True)
        exchange = await declare_target(channel, "bare")
        body = envelope_body()
        transactions = SharedTransactions(pool, body, partition_of(HUB, SKU))
        with_db, with_publish = args.mode in ("both", "db"), args.mode in ("both", "publish")

        async def one() -> None:
            event_id = uuid.uuid4()
            if with_db:
                await transactions.place(event_id)
            if with_publish:
                await exchange.publish(
                    aio_pika.Message(
                        body,
                        content_type="application/json",
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        message_id=str(event_id),
                        correlation_id="bench-bare",
                        type=ROUTING_KEY,
                    ),
                    routing_key=ROUTING_KEY,
                )

        latencies: list[float] = []
        counting = False

        async def worker(deadline: float) -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                await one()
                if counting:
                    latencies.append(time.perf_counter() - started)

        warm = time.perf_counter() + args.warmup
        await asyncio.gather(*(worker(warm) for _ in range(args.concurrency)))
        counting = True
        cpu_started = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(worker(started + args.seconds) for _ in range(args.concurrency)))
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        await purge_target(channel, "bare")
        async with pool.acquire() as conn:
            await conn.execute("TRUNCATE outbox")
    finally:
        await connection.close()
        await pool.close()
    return {
        "mode": args.mode,
        "concurrency": args.concurrency,
        "orders": len(latencies),
        "seconds": round(seconds, 3),
        "per_second": round(len(latencies) / seconds, 1),
        **latency_summary(latencies),
        "cpu_ms_per_order": round(1000 * cpu / max(len(latencies), 1), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--amqp-url", required=True)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--mode", choices=["both", "db", "publish"], default="both")
    parser.add_argument("--output", type=Path, help="write the JSON here (else stdout)")
    args = parser.parse_args()
    configure_logging("bench", "console", "WARNING")  # the migrations' own lines, less chatty
    result = json.dumps(asyncio.run(run(args)))
    if args.output:
        args.output.write_text(result + "\n")
    else:
        print(result, flush=True)


if __name__ == "__main__":
    main()
