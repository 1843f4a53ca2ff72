"""How long the console takes to render Today and the queue with 100,000 waiting orders.

    .venv/bin/python -m bench.console_render                  # 100,000 waiting orders
    .venv/bin/python -m bench.console_render --orders 1000000 --rounds 100

In a sandbox database it starts the allocator, the orders service and the console as processes,
fills the allocator's and the orders service's tables as `bench.console_reads` does (one
product's queue after a month: the waiting orders, 16,000 served, 30 day summaries, the buyers),
signs in an operator and times each page over HTTP, one request after another, the whole page
as a browser gets it (every call the console makes to the services included). Three requests
of each warm up and are not counted. No target is judged: it prints the table.
"""

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
import asyncpg

from bench.console_reads import HUB, OPERATOR_TOKEN, ROLE_TOKENS, SKU, fill
from services.console import accounts
from services.console.accounts import Role
from tests.support.stack import Stack
from tools.sandbox import sandbox

WARM_UP = 3
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def pages(orders: int) -> list[tuple[str, str]]:
    return [
        ("Today (GET /)", "/"),
        ("queue: first page", f"/antrean?sku={SKU}"),
        ("queue: middle page", f"/antrean?sku={SKU}&offset={orders // 2}"),
        ("queue: last page", f"/antrean?sku={SKU}&offset={max(orders - 100, 0)}"),
    ]


async def signed_in(database_url: str, console_url: str) -> aiohttp.ClientSession:
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "console"})
    try:
        await accounts.create(
            conn, username="bench", name="Bench", role=Role.staff, password="bench-password-1"
        )
    finally:
        await conn.close()
    session = aiohttp.ClientSession(
        console_url,
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        headers={"Accept": "text/html"},
    )
    session.cookie_jar.update_cookies({"plut_hub": HUB})
    async with session.get("/masuk") as form:
        token = _CSRF.search(await form.text()).group(1)
    fields = {"csrf": token, "username": "bench", "password": "bench-password-1", "next": "/"}
    async with session.post("/masuk", data=fields, allow_redirects=False) as answer:
        if answer.status != 303:
            raise RuntimeError(f"sign-in answered {answer.status}")
    return session


async def time_pages(session: aiohttp.ClientSession, orders: int, rounds: int) -> list[dict]:
    results = []
    for what, path in pages(orders):
        timings, size = [], 0
        for number in range(rounds + WARM_UP):
            started = time.perf_counter()
            async with session.get(path) as response:
                body = await response.read()
                if response.status != 200:
                    raise RuntimeError(f"GET {path} -> {response.status}: {body[:500]!r}")
            if number >= WARM_UP:
                timings.append((time.perf_counter() - started) * 1000)
            size = len(body)
        cuts = statistics.quantiles(timings, n=100, method="inclusive")
        results.append(
            {
                "page": what,
                "p50_ms": round(statistics.median(timings), 1),
                "p99_ms": round(cuts[98], 1),
                "max_ms": round(max(timings), 1),
                "kib": round(size / 1024, 1),
            }
        )
    return results


async def run(args: argparse.Namespace) -> dict:
    async with sandbox("plut_bench") as box:
        stack = Stack.plan(
            database_url=box.database_url,
            amqp_url=box.amqp_url,
            log_dir=args.logs or Path(tempfile.mkdtemp(prefix="console-render-logs-")),
            extra_env={"OPERATOR_TOKEN": OPERATOR_TOKEN, **ROLE_TOKENS, "CLOCK_SECONDS": "3600"},
        )
        serving = [stack["allocator"], stack["orders"], stack["console"]]
        try:
            for service in serving:
                service.start()
            await asyncio.gather(*(service.wait_ready() for service in serving))
            load_seconds = await fill(box.database_url, args.orders)
            print(
                f"filled in {load_seconds:.1f} s; timing {args.rounds} requests a page", flush=True
            )
            session = await signed_in(box.database_url, stack["console"].url)
            try:
                timed = await time_pages(session, args.orders, args.rounds)
            finally:
                await session.close()
        finally:
            for service in serving:
                service.stop()
    return {"waiting_orders": args.orders, "pages": timed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="waiting orders")
    parser.add_argument("--rounds", type=int, default=50, help="timed requests per page")
    parser.add_argument("--logs", type=Path, help="the services' logs (else a temporary folder)")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(f"{results['waiting_orders']:,} waiting orders, one product")
    print(f"{'page':<22} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'KiB':>7}")
    for row in results["pages"]:
        print(
            f"{row['page']:<22} {row['p50_ms']:>8} {row['p99_ms']:>8} {row['max_ms']:>8}"
            f" {row['kib']:>7}"
        )


if __name__ == "__main__":
    main()
