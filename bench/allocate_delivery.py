"""How long the allocator takes to give out one delivery, on a short and on a very long queue.

    .venv/bin/python -m bench.allocate_delivery                      # 1,000 and 1,000,000 orders
    .venv/bin/python -m bench.allocate_delivery --orders 1000000 --json results.json

Target: with 1,000,000 waiting orders, a 2,000-unit delivery is allocated in under 50 ms (the
median), and in no more than twice the time it takes with 1,000 waiting orders: the cost of a
fill grows with the orders it serves, not with the length of the queue.

For each queue length and policy (fifo, then fair_share) it makes the allocator's schema afresh
in a sandbox database (the service's own migrations), loads the waiting orders of one product
in one statement, VACUUM ANALYZE, and then times deliveries one after another, each on what
the previous ones left: one transaction that records the event in the inbox and runs the
allocator's `handle_batch` for one supply.received (the product's lock, the lot, the fill,
the allocations and the order.allocated events in the outbox), committed as the consumer does.
It also times `outlooks.ahead` (what `GET /v1/orders/{id}/standing` counts) for an order in the
middle of the queue.
"""

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

import services.allocator
from services.allocator.consumers import handle_batch
from services.allocator.rules import policies
from services.allocator.store import outlooks
from services.allocator.store import policies as stored_policies
from shared.consumer import Event, handle_new
from shared.db import create_pool, migrate, service_migrations
from shared.events import Envelope, SupplyReceived
from shared.logging import configure_logging
from tools.sandbox import sandbox

SCHEMA = "allocator"
HUB = "bench-kalteng"
SKU = "masker-kain"
TARGET_MS = 50.0
TARGET_RATIO = 2.0
PRODUCERS = [uuid.uuid4() for _ in range(40)]

# One product's waiting orders, made by the database itself (fast, and the same every run for
# the same seed): 1-50 units each; 1% health, 1% program, 4% agency, the rest public; 5% want
# their whole quantity at once; a buyer each; placed two seconds apart, oldest first.
LOAD_ORDERS = """
INSERT INTO queue (order_id, hub, sku, quantity, placed_at, sequence, state, buyer_key,
                   priority_class, accept_partial)
SELECT gen_random_uuid(), $1, $2, quantity,
       now() - interval '30 days' + i * interval '2 seconds', i, 'waiting',
       md5('buyer:' || i),
       CASE WHEN draw < 0.01 THEN 'health' WHEN draw < 0.02 THEN 'program'
            WHEN draw < 0.06 THEN 'agency' ELSE 'public' END,
       partial >= 0.05
FROM (SELECT i, 1 + floor(random() * 50)::int AS quantity, random() AS draw, random() AS partial
      FROM generate_series(1, $3::int) AS i) AS drawn
"""
WAITING_UNITS = "SELECT coalesce(sum(units), 0) FROM queue_totals WHERE hub = $1 AND sku = $2"
GIVEN = """
SELECT coalesce(sum(quantity), 0) AS units, count(DISTINCT order_id) AS orders
FROM allocations WHERE delivery_id = $1
"""
# The waiting public order in the middle of its class.
MIDDLE_ORDER = """
SELECT * FROM queue
WHERE hub = $1 AND sku = $2 AND priority_class = 'public' AND state = 'waiting'
ORDER BY placed_at, sequence
OFFSET (SELECT count(*) / 2 FROM queue
        WHERE hub = $1 AND sku = $2 AND priority_class = 'public' AND state = 'waiting')
LIMIT 1
"""


def delivery(units: int, number: int) -> Envelope:
    return Envelope.wrap(
        SupplyReceived(
            delivery_id=uuid.uuid4(),
            producer_id=PRODUCERS[number % len(PRODUCERS)],
            sku=SKU,
            quantity=units,
            rejected=0,
            accepted=units,
            received_at=datetime.now(UTC),
        ),
        hub=HUB,
        correlation_id=f"bench-delivery-{number}",
    )


async def allocate(pool: asyncpg.Pool, event: Envelope) -> tuple[float, int]:
    """One supply.received as the consumer handles it; answers the milliseconds it took and
    how many orders it gave units to."""
    async with pool.acquire() as conn:
        started = time.perf_counter()
        async with conn.transaction():
            await handle_new(conn, [Event(event, event.read())], handle_batch)
        elapsed = time.perf_counter() - started
        given = await conn.fetchrow(GIVEN, event.payload["delivery_id"])
    if given["units"] != event.payload["accepted"]:
        raise RuntimeError(f"a delivery gave {given['units']} of {event.payload['accepted']}")
    return elapsed * 1000, given["orders"]


async def load(pool: asyncpg.Pool, orders: int, mode: str) -> float:
    started = time.perf_counter()
    async with pool.acquire() as conn:
        await conn.execute("INSERT INTO hubs (hub, timezone) VALUES ($1, $2)", HUB, "Asia/Jakarta")
        if mode != "fifo":
            await stored_policies.add_version(conn, HUB, SKU, policies.PolicyRules(mode=mode))
        async with conn.transaction():
            await conn.execute("SELECT setseed(0.5)")
            await conn.execute(LOAD_ORDERS, HUB, SKU, orders)
        await conn.execute("VACUUM ANALYZE queue")
    return time.perf_counter() - started


async def standing_ms(pool: asyncpg.Pool, rounds: int = 5) -> float:
    async with pool.acquire() as conn:
        order = await conn.fetchrow(MIDDLE_ORDER, HUB, SKU)
        timings = []
        for _ in range(rounds):
            started = time.perf_counter()
            await outlooks.ahead(conn, order)
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


async def run_case(url: str, orders: int, mode: str, units: int, warmups: int, runs: int) -> dict:
    """A fresh schema with `orders` waiting, then `warmups + runs` deliveries of `units`."""
    migrations = service_migrations(Path(services.allocator.__file__).parent / "migrations")
    pool = await create_pool(url, SCHEMA, max_size=2)
    try:
        async with pool.acquire() as conn:
            await migrate(conn, SCHEMA, migrations)
        load_seconds = await load(pool, orders, mode)
        async with pool.acquire() as conn:
            waiting_units = await conn.fetchval(WAITING_UNITS, HUB, SKU)
        if waiting_units < (warmups + runs) * units:
            raise SystemExit(f"{orders} orders want {waiting_units} units: too few to measure")
        timings, served = [], []
        for number in range(warmups + runs):
            elapsed, orders_given = await allocate(pool, delivery(units, number))
            if number >= warmups:
                timings.append(elapsed)
                served.append(orders_given)
        standing = await standing_ms(pool) if mode == "fifo" else None
    finally:
        await pool.close()
        conn = await asyncpg.connect(url)
        try:  # the next case starts from nothing
            await conn.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
        finally:
            await conn.close()
    cuts = statistics.quantiles(timings, n=10) if len(timings) > 1 else timings * 9
    return {
        "orders": orders,
        "policy": mode,
        "load_seconds": round(load_seconds, 2),
        "deliveries": len(timings),
        "units_per_delivery": units,
        "orders_served_per_delivery": round(statistics.mean(served), 1),
        "median_ms": round(statistics.median(timings), 2),
        "p90_ms": round(cuts[8], 2),
        "max_ms": round(max(timings), 2),
        "standing_ms": None if standing is None else round(standing, 2),
    }


async def run(args: argparse.Namespace) -> list[dict]:
    results = []
    async with sandbox("plut_bench") as box:
        for mode in args.policies:
            for orders in args.orders:
                case = await run_case(
                    box.database_url, orders, mode, args.units, args.warmups, args.deliveries
                )
                print(f"measured: {orders} orders, {mode}", flush=True)
                results.append(case)
    return results


def verdict(results: list[dict]) -> dict:
    """The target, judged on fifo (the default policy) medians."""
    fifo = {row["orders"]: row["median_ms"] for row in results if row["policy"] == "fifo"}
    if not fifo:
        return {"pass": False, "reason": "fifo was not measured"}
    longest, shortest = max(fifo), min(fifo)
    ratio = round(fifo[longest] / fifo[shortest], 2) if longest != shortest else None
    fast = fifo[longest] < TARGET_MS
    flat = ratio is not None and ratio <= TARGET_RATIO
    reason = f"{longest} orders: median {fifo[longest]} ms (target < {TARGET_MS:g}); " + (
        f"{longest} vs {shortest} orders: x{ratio} (target <= {TARGET_RATIO:g})"
        if ratio is not None
        else "ratio not measured (give two --orders)"
    )
    return {"pass": fast and flat, "ratio": ratio, "reason": reason}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[1_000, 1_000_000])
    parser.add_argument(
        "--policies", nargs="+", default=["fifo", "fair_share"], choices=["fifo", "fair_share"]
    )
    parser.add_argument("--units", type=int, default=2_000, help="per delivery")
    parser.add_argument("--deliveries", type=int, default=10, help="measured, per case")
    parser.add_argument("--warmups", type=int, default=2, help="deliveries not measured")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    args.orders = sorted(set(args.orders))
    configure_logging("bench", "console", "WARNING")  # the service's own logs, less chatty
    results = asyncio.run(run(args))
    print(
        f"{'orders':>9} {'policy':<10} {'load s':>7} {'served':>7} {'median ms':>10} "
        f"{'p90 ms':>8} {'max ms':>8} {'standing ms':>12}"
    )
    for row in results:
        standing = "-" if row["standing_ms"] is None else row["standing_ms"]
        print(
            f"{row['orders']:>9} {row['policy']:<10} {row['load_seconds']:>7} "
            f"{row['orders_served_per_delivery']:>7} {row['median_ms']:>10} {row['p90_ms']:>8} "
            f"{row['max_ms']:>8} {standing:>12}"
        )
    print(
        "served: orders given units per delivery; standing: outlooks.ahead for the order in the "
        "middle of the public class (information, not part of the target)"
    )
    judged = verdict(results)
    if args.json:
        args.json.write_text(json.dumps({"cases": results, "verdict": judged}, indent=2) + "\n")
    print(f"{'PASS' if judged['pass'] else 'FAIL'}: {judged['reason']}")
    sys.exit(0 if judged["pass"] else 1)


if __name__ == "__main__":
    main()
