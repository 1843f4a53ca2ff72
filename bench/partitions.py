"""Allocator replicas on one shared queue (before issue 22) against partition queues with a single
active consumer (after), and what routing by partition costs the broker.

    .venv/bin/python -m bench.partitions                      # 10,000 orders, 64 products
    .venv/bin/python -m bench.partitions --orders 20000 --json out.json
    .venv/bin/python -m bench.partitions --routing-only --hash-exchange   # plugin enabled

1. Allocation: the same busy day (tests/support/workload.py) over 8 hubs x 8 products, published
   in placement order to the events exchange, consumed by 1 and by 3 allocator processes
   (tests/support/allocator_runs.py). "shared": published without the partition header, so
   every event waits in `allocator.events` and the replicas compete for it, as before the
   partitions; "partitioned": with it, as the outbox relay now sends them. Events per second
   from the first publish to the last event handled; orders served out of turn (an order given
   units while an earlier order of its class was still short); batches retried.
2. Routing: messages per second published with confirms, no consumer, into a topic exchange
   bound to one queue (the floor), through the topic exchange to the headers exchange and its
   16 partition queues (ours), and, with `--hash-exchange` and the plugin enabled on the broker
   (`rabbitmq-plugins enable rabbitmq_consistent_hash_exchange`), through a consistent-hash
   exchange (hashing the message id) to 16 queues. Quorum queues everywhere, as in production.
"""

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

import aio_pika

from shared.bus import connect, publish
from tests.support.allocator_runs import run_allocators, served_out_of_turn
from tests.support.workload import busy_day
from tools.sandbox import sandbox

HUBS = [f"hub{n}" for n in range(8)]
SKUS = [f"produk-{n}" for n in range(8)]
ROUTING_QUEUES = 16


async def allocation(orders: int, logs: Path) -> list[dict]:
    products = [(hub, sku) for hub in HUBS for sku in SKUS]
    work = busy_day(
        seed=22,
        products=products,
        order_shares=[1 + (n % 7) for n in range(len(products))],
        orders=orders,
        deliveries=orders // 40,
        buyers=orders // 5,
        cancel_ratio=0.02,
        duplicates=60,
    )
    rows = []
    for partitioned in (False, True):
        for processes in (1, 3):
            mode = "partitioned" if partitioned else "shared"
            run = await run_allocators(
                work, processes, logs / f"{mode}-{processes}", partitioned=partitioned
            )
            assert run.allocated() == work.expected_allocated()
            rows.append(
                {
                    "queues": mode,
                    "replicas": processes,
                    "events": len(work.events),
                    "events_per_second": round(len(work.events) / run.seconds),
                    "out_of_turn": len(served_out_of_turn(run, work)),
                    "retried_batches": run.retries,
                    "per_replica": run.handled_per_process,
                }
            )
            print(rows[-1], flush=True)
    return rows


async def routing(messages: int, hash_exchange: bool) -> list[dict]:
    """Publish rate through each route, with confirms, 200 in flight."""
    rows = []
    async with sandbox("plut_routing") as box:
        broker = await connect(box.amqp_url, "bench")
        channel = broker.channel
        quorum = {"x-queue-type": "quorum"}
        floor = await channel.declare_exchange("bench.floor", aio_pika.ExchangeType.TOPIC)
        queue = await channel.declare_queue("bench.floor", durable=True, arguments=quorum)
        await queue.bind(floor, routing_key="order.placed")
        routes = [("topic -> 1 queue", floor, lambda n: None)]
        routes.append(("topic -> headers -> 16 partitions", broker.exchanges.events, _header))
        if hash_exchange:
            hashed = await channel.declare_exchange(
                "bench.hash", "x-consistent-hash", arguments={"hash-property": "message_id"}
            )
            topic = await channel.declare_exchange("bench.topic", aio_pika.ExchangeType.TOPIC)
            await hashed.bind(topic, routing_key="order.placed")
            for n in range(ROUTING_QUEUES):
                q = await channel.declare_queue(f"bench.hash.{n}", durable=True, arguments=quorum)
                await q.bind(hashed, routing_key="1")  # weight 1 each
            routes.append(("topic -> consistent-hash -> 16 queues", topic, lambda n: None))
        body = b"x" * 600  # about one order.placed envelope
        for name, exchange, headers in routes:
            started = time.perf_counter()
            for start in range(0, messages, 200):
                await asyncio.gather(
                    *(
                        publish(
                            exchange,
                            body=body,
                            routing_key="order.placed",
                            message_id=str(n),
                            correlation_id="bench",
                            headers=headers(n),
                        )
                        for n in range(start, min(start + 200, messages))
                    )
                )
            seconds = time.perf_counter() - started
            rows.append({"route": name, "messages_per_second": round(messages / seconds)})
            print(rows[-1], flush=True)
        await broker.connection.close()
    return rows


def _header(n: int) -> dict:
    return {"partition": str(n % ROUTING_QUEUES)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--routing-only", action="store_true")
    parser.add_argument("--allocation-only", action="store_true")
    parser.add_argument("--hash-exchange", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results: dict = {}
    if not args.allocation_only:
        results["routing"] = await routing(args.messages, args.hash_exchange)
    if not args.routing_only:
        with tempfile.TemporaryDirectory() as logs:
            results["allocation"] = await allocation(args.orders, Path(logs))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
