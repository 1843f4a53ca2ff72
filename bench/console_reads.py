"""How fast the reads the operators' console makes answer, with 100,000 waiting orders.

    .venv/bin/python -m bench.console_reads                      # 100,000 waiting orders
    .venv/bin/python -m bench.console_reads --orders 1000000 --json results.json

In a sandbox database it starts the allocator and the orders service as processes (their own
migrations; the clock set to an hour, so it stays quiet once it has looked at the data), then
fills both services' tables directly with one product's queue as it would stand after a month:
`--orders` waiting orders placed over 30 days (10% agency, the rest public), 16,000 orders
served from 281 deliveries over the last week (one of them of 2,000 units, to 2,000 orders),
the summaries of the 30 days before today, and each order's buyer (a name from a small list
of common ones, a phone number) at the orders service. VACUUM ANALYZE, as autovacuum would.
Then it times each read over HTTP, one request after another, as the console makes them.
Figures are client-side (loopback HTTP included), and move with whatever else the machine runs:
the load average is printed beside them. No target is judged: it prints the table.
"""

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
import asyncpg

from tests.support.stack import Stack
from tools.sandbox import sandbox

HUB = "bench-kalteng"
SKU = "masker-kain"
OPERATOR_TOKEN = "bench-operator-token"
# The console calls the services with the token of the signed-in operator's role.
ROLE_TOKENS = {
    "OPERATOR_STAFF_TOKEN": "bench-operator-staff-token",
    "OPERATOR_VIEWER_TOKEN": "bench-operator-viewer-token",
}
AUTH = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}

FIRST_NAMES = "Sari Rina Dewi Budi Agus Siti Wahyu Eko Yanti Hendra Rudi Nur Tri Dian Fitri"
LAST_NAMES = "Wulandari Santoso Saputra Hidayat Lestari Pratama Kurniawan Rahayu Setiawan Utami"

FILL = [  # (statement, what it takes as $1, $2...)
    ("INSERT INTO allocator.hubs (hub, timezone) VALUES ($1, 'Asia/Jakarta')", ("hub",)),
    # Deliveries: 40 a day for a week, 50 units each, all given; the latest is 2,000 units.
    (
        """
        INSERT INTO allocator.lots (delivery_id, hub, sku, producer_id, accepted, allocated,
                                    received_at)
        SELECT md5('lot' || i)::uuid, $1, $2, md5('producer' || i % 40)::uuid,
               CASE WHEN i = 0 THEN 2000 ELSE 50 END, CASE WHEN i = 0 THEN 2000 ELSE 50 END,
               now() - i * interval '36 minutes'
        FROM generate_series(0, 280) AS i
        """,
        ("hub", "sku"),
    ),
    # The orders they served, one unit each, placed before the waiting ones.
    (
        """
        INSERT INTO allocator.queue (order_id, hub, sku, quantity, allocated, placed_at,
                                     sequence, state, buyer_key, priority_class)
        SELECT md5('served' || i)::uuid, $1, $2, 1, 1,
               now() - interval '40 days' + i * interval '1 second', i, 'filled',
               md5('buyer-served' || i), 'public'
        FROM generate_series(1, 16000) AS i
        """,
        ("hub", "sku"),
    ),
    (
        """
        INSERT INTO allocator.allocations (order_id, delivery_id, quantity, hub, sku, rule,
                                           allocated_at, hold_until, state, ended_at)
        SELECT md5('served' || i)::uuid, lot.delivery_id, 1, $1, $2, 'fifo',
               lot.received_at + interval '1 second', lot.received_at + interval '48 hours',
               CASE WHEN lot.received_at < now() - interval '2 days' THEN 'fulfilled'
                    ELSE 'held' END,
               CASE WHEN lot.received_at < now() - interval '2 days'
                    THEN lot.received_at + interval '1 day' END
        FROM generate_series(1, 16000) AS i
        JOIN allocator.lots AS lot ON lot.delivery_id =
             md5('lot' || CASE WHEN i <= 2000 THEN 0 ELSE (i - 2001) / 50 + 1 END)::uuid
        """,
        ("hub", "sku"),
    ),
    (
        """
        INSERT INTO allocator.buyer_days (hub, sku, day, buyer_key, units)
        SELECT a.hub, a.sku, (a.allocated_at AT TIME ZONE 'Asia/Jakarta')::date, q.buyer_key, 1
        FROM allocator.allocations AS a JOIN allocator.queue AS q USING (order_id)
        """,
        (),
    ),
    # The waiting queue, placed over the last 30 days.
    (
        """
        INSERT INTO allocator.queue (order_id, hub, sku, quantity, placed_at, sequence, state,
                                     buyer_key, priority_class)
        SELECT md5('waiting' || i)::uuid, $1, $2, 1 + i % 5,
               now() - interval '30 days' + i * (interval '30 days' / $3::int), 16000 + i,
               'waiting', md5('buyer' || i),
               CASE WHEN i % 10 = 0 THEN 'agency' ELSE 'public' END
        FROM generate_series(1, $3::int) AS i
        """,
        ("hub", "sku", "orders"),
    ),
    (
        """
        INSERT INTO allocator.day_summaries (hub, sku, day, summary)
        SELECT $1, $2, day, jsonb_build_object(
            'day', day, 'timezone', 'Asia/Jakarta', 'sku', $2::text, 'received', 2000,
            'allocated', 2000, 'fulfilled', 1900, 'expired', 100, 'waiting_units', 300000,
            'waiting_orders', $3::int, 'buyers_unserved', $3::int)
        FROM generate_series(1, 30) AS back,
             LATERAL (SELECT (now() AT TIME ZONE 'Asia/Jakarta')::date - back AS day) AS days
        """,
        ("hub", "sku", "orders"),
    ),
    # The same orders at the orders service, with their buyers.
    (
        """
        INSERT INTO orders.catalog (hub, sku, product_id, name, unit_price)
        VALUES ($1, $2, md5('product')::uuid, 'Masker kain 3 lapis', 5000)
        """,
        ("hub", "sku"),
    ),
    (
        """
        INSERT INTO orders.orders (id, hub, sku, quantity, allocated, fulfilled, buyer,
                                   placed_at, priority_class)
        SELECT q.order_id, q.hub, q.sku, q.quantity, q.allocated,
               CASE WHEN a.state = 'fulfilled' THEN q.allocated ELSE 0 END,
               jsonb_build_object(
                   'name', (string_to_array($1::text, ' '))[1 + q.sequence % 15] || ' '
                           || (string_to_array($2::text, ' '))[1 + (q.sequence / 15) % 10],
                   'type', 'individual', 'region', 'Palangka Raya',
                   'phone', '+628' || lpad(
                       (hashtext(q.order_id::text)::bigint & 2147483647)::text, 10, '0'),
                   'language', 'id'),
               q.placed_at, q.priority_class
        FROM allocator.queue AS q LEFT JOIN allocator.allocations AS a USING (order_id)
        ORDER BY q.placed_at
        """,
        ("first_names", "last_names"),
    ),
    # Their histories: placed, and allocated for those served.
    (
        """
        INSERT INTO orders.order_history (order_id, at, kind, units, detail)
        SELECT id, placed_at, 'placed', quantity, '{}' FROM orders.orders
        UNION ALL
        SELECT order_id, allocated_at, 'allocated', quantity,
               jsonb_build_object('rule', rule, 'lots', jsonb_build_array(jsonb_build_object(
                   'delivery_id', delivery_id, 'quantity', quantity)))
        FROM allocator.allocations
        """,
        (),
    ),
    # One buyer whose name nobody else has, to find.
    (
        """
        UPDATE orders.orders SET buyer = buyer || '{"name": "Bu Tumini Kasongan"}'
        WHERE id = md5('waiting' || 4242)::uuid
        """,
        (),
    ),
]


async def fill(database_url: str, orders: int) -> float:
    started = time.perf_counter()
    # The allocator's triggers name its tables as its own connections see them.
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "allocator"})
    values = {
        "hub": HUB,
        "sku": SKU,
        "orders": orders,
        "first_names": FIRST_NAMES,
        "last_names": LAST_NAMES,
    }
    try:
        for statement, takes in FILL:
            await conn.execute(statement, *(values[name] for name in takes))
        for table in (
            "allocator.queue",
            "allocator.allocations",
            "orders.orders",
            "orders.order_history",
        ):
            await conn.execute(f"VACUUM ANALYZE {table}")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - started


def cases(orders: int) -> list[tuple[str, str, str]]:
    """(what, service, path) for each read, as the console makes it."""
    queue = f"/v1/hubs/{HUB}/products/{SKU}/queue"
    deep = max(orders - 100, 0)
    return [
        ("days: the last 30 (Today page)", "allocator", f"/v1/hubs/{HUB}/days"),
        ("days: 92, one product", "allocator", f"/v1/hubs/{HUB}/days?{_last_92()}&sku={SKU}"),
        ("queue: head, 100", "allocator", f"{queue}?limit=100"),
        ("queue: middle, 100", "allocator", f"{queue}?limit=100&offset={orders // 2}"),
        ("queue: tail, 100", "allocator", f"{queue}?limit=100&offset={deep}"),
        ("queue: head, 1000", "allocator", f"{queue}?limit=1000"),
        ("delivery's allocations (2,000)", "allocator", "/v1/deliveries/{lot}/allocations"),
        ("orders: q=rare name", "orders", "/v1/orders?q=tumini"),
        ("orders: q=common name", "orders", "/v1/orders?q=Sari%20Wula"),
        ("orders: q=phone 0812 345", "orders", "/v1/orders?q=0812%20345"),
        ("orders: q=id prefix", "orders", "/v1/orders?q={prefix}"),
        ("orders: hub, newest 50", "orders", f"/v1/orders?hub={HUB}"),
        ("orders: hub+status, deepest", "orders", f"/v1/orders?hub={HUB}&status=queued&offset=950"),
        ("orders: 100 ids (a queue page)", "orders", "/v1/orders?{ids}"),
        ("order history (served order)", "orders", "/v1/orders/{order}/history"),
    ]


def _last_92() -> str:
    from datetime import date, timedelta

    today = date.today()
    return f"from={today - timedelta(days=91)}&to={today}"


async def time_reads(urls: dict[str, str], orders: int, rounds: int) -> list[dict]:
    results = []
    async with aiohttp.ClientSession() as session:
        page = await _get(session, f"{urls['allocator']}/v1/hubs/{HUB}/products/{SKU}/queue")
        ids = [row["order_id"] for row in page["orders"]]
        values = {
            "lot": await _scalar(urls, "SELECT md5('lot0')::uuid"),
            "prefix": ids[7][:8],
            "ids": "&".join(f"id={order_id}" for order_id in ids),
            "order": await _scalar(urls, "SELECT md5('served1')::uuid"),
        }
        for what, service, path in cases(orders):
            url = urls[service] + path.format(**values)
            timings = []
            for number in range(rounds + 3):
                started = time.perf_counter()
                body = await _get(session, url)
                if number >= 3:  # the first three warm up
                    timings.append((time.perf_counter() - started) * 1000)
            cuts = statistics.quantiles(timings, n=10)
            results.append(
                {
                    "read": what,
                    "median_ms": round(statistics.median(timings), 2),
                    "p90_ms": round(cuts[8], 2),
                    "max_ms": round(max(timings), 2),
                    "answer": _size(body),
                }
            )
    return results


_DATABASE: dict[str, str] = {}


async def _scalar(_urls: dict, sql: str):
    conn = await asyncpg.connect(_DATABASE["url"])
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def _get(session: aiohttp.ClientSession, url: str) -> dict:
    async with session.get(url, headers=AUTH) as response:
        body = await response.json(content_type=None)
        if response.status != 200:
            raise RuntimeError(f"GET {url} -> {response.status}: {body}")
        return body


def _size(body: dict) -> str:
    for key in ("days", "orders", "allocations", "events"):
        if key in body:
            extra = f", total {body['total']}" if "total" in body else ""
            return f"{len(body[key])} {key}{extra}"
    return ""


async def run(args: argparse.Namespace) -> dict:
    async with sandbox("plut_bench") as box:
        _DATABASE["url"] = box.database_url
        stack = Stack.plan(
            database_url=box.database_url,
            amqp_url=box.amqp_url,
            log_dir=args.logs or Path(tempfile.mkdtemp(prefix="console-reads-logs-")),
            extra_env={"OPERATOR_TOKEN": OPERATOR_TOKEN, **ROLE_TOKENS, "CLOCK_SECONDS": "3600"},
        )
        serving = [stack["allocator"], stack["orders"]]
        try:
            for service in serving:
                service.start()
            await asyncio.gather(*(service.wait_ready() for service in serving))
            load_seconds = await fill(box.database_url, args.orders)
            print(f"filled in {load_seconds:.1f} s; timing {args.rounds} rounds", flush=True)
            reads = await time_reads(stack.urls(), args.orders, args.rounds)
        finally:
            for service in serving:
                service.stop()
    return {"waiting_orders": args.orders, "load_seconds": round(load_seconds, 1), "reads": reads}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="waiting orders")
    parser.add_argument("--rounds", type=int, default=30, help="timed requests per read")
    parser.add_argument("--logs", type=Path, help="the services' logs (else a temporary folder)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    results = asyncio.run(run(args))
    results["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    print(
        f"{results['waiting_orders']} waiting orders; load average {results['load_average'][0]}"
        f" at the start, {results['load_average'][1]} at the end ({os.cpu_count()} CPUs)"
    )
    print(f"{'read':<34} {'median ms':>10} {'p90 ms':>8} {'max ms':>8}  answer")
    for row in results["reads"]:
        print(
            f"{row['read']:<34} {row['median_ms']:>10} {row['p90_ms']:>8} {row['max_ms']:>8}  "
            f"{row['answer']}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
