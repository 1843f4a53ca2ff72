"""The buyers' site under a crowd: its home page and an order's tracking page, `--clients` at
once (200) for `--seconds` each, beside a bare aiohttp-jinja2 page (one template, no I/O, as
large as the home page) served by a process of its own in the same run.

    .venv/bin/python -m bench.storefront_pages                    # 200 clients, 10 s a page
    .venv/bin/python -m bench.storefront_pages --clients 50 --seconds 5

In a sandbox database and vhost it starts every service as a process, opens a hub with one
product and a partner key for the site, starts the site, and places one order through the
orders API whose tracking code it records as the site would. Each page is then asked for by the
clients in a closed loop (each asks again as soon as it is answered; the first second is not
counted), from this process. The issue's targets: at least half the bare page's rate, p99 under
100 ms. It prints the table and judges nothing.
"""

import argparse
import asyncio
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import aiohttp_jinja2
import asyncpg
import jinja2
from aiohttp import web

from bench.measure import latency_summary
from services.storefront import store
from shared import order_codes
from tests.support.stack import Stack, free_port
from tools.client import FOUNDING_HUB_DETAILS, HubClient
from tools.local_services import ROOT, ServiceProcess
from tools.sandbox import sandbox

OPERATOR_TOKEN = "bench-operator-token"
HUB, SKU = "bench-site", "masker-kain"
WARM_UP_SECONDS = 1.0
# About as much HTML as the home page, from one template and nothing else.
BARE_PAGE = "<!doctype html><html lang='id'><body>{% for n in range(60) %}<p>Baris {{ n }}: "
BARE_PAGE += "{{ text }}</p>{% endfor %}</body></html>"


def serve_bare(port: int) -> None:
    app = web.Application()
    aiohttp_jinja2.setup(app, loader=jinja2.DictLoader({"page.html": BARE_PAGE}))

    async def page(request: web.Request) -> web.Response:
        context = {"text": "Masker kain 3 lapis, Rp5.000 per unit"}
        return aiohttp_jinja2.render_template("page.html", request, context)

    app.router.add_get("/", page)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


async def crowd(url: str, clients: int, seconds: float) -> dict:
    """`clients` asking for `url` one request after another each; the counted ones' figures."""
    latencies: list[float] = []
    failures = 0
    started = time.monotonic()
    counting_from, until = started + WARM_UP_SECONDS, started + WARM_UP_SECONDS + seconds
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client() -> None:
            nonlocal failures
            while (asked := time.monotonic()) < until:
                async with session.get(url) as response:
                    await response.read()
                    ok = response.status == 200
                if asked >= counting_from:
                    latencies.append(time.monotonic() - asked)
                    failures += not ok

        await asyncio.gather(*(client() for _ in range(clients)))
    return {"rate": round(len(latencies) / seconds), "failures": failures} | latency_summary(
        latencies
    )


async def tracked_order(client: HubClient, database_url: str) -> str:
    """An order placed with the site's key, its tracking code recorded as the site does."""
    order = await client.place_order(
        HUB, SKU, 2, {"name": "Ibu Bench", "type": "individual", "region": "Kapuas"}
    )
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "storefront"})
    try:
        code = order_codes.order_code_from(order["code"])
        await conn.execute(
            store.TRACKING_INSERT, code, uuid.UUID(order["id"]), uuid.uuid4(), b"bench"
        )
    finally:
        await conn.close()
    return order["code"]


async def run(clients: int, seconds: float) -> None:
    logs = Path(tempfile.mkdtemp(prefix="bench-storefront-"))
    bare_port = free_port()
    bare = subprocess.Popen(
        [sys.executable, "-m", "bench.storefront_pages", "--serve-bare", str(bare_port)], cwd=ROOT
    )
    async with sandbox("plut_bench") as box, aiohttp.ClientSession() as session:
        # A browser keeps the site's cookies: over plain HTTP here, only if they are not Secure.
        env = {
            "OPERATOR_TOKEN": OPERATOR_TOKEN,
            # The site reads as a viewer and sends phone codes as staff.
            "OPERATOR_STAFF_TOKEN": OPERATOR_TOKEN + "-staff",
            "OPERATOR_VIEWER_TOKEN": OPERATOR_TOKEN + "-viewer",
            "LOG_LEVEL": "WARNING",
            "SECURE_COOKIES": "false",
        }
        stack = Stack.plan(
            database_url=box.database_url, amqp_url=box.amqp_url, log_dir=logs, extra_env=env
        )
        site = None
        try:
            await stack.start()
            client = HubClient(session, stack.urls(), operator_token=OPERATOR_TOKEN)
            await client.open_hub(HUB, SKU, **FOUNDING_HUB_DETAILS)
            partner = await client.create_partner(
                "Situs bench",
                [HUB],
                requests_per_minute=100_000,
                scopes=["orders:write", "orders:read", "orders:track"],
            )
            site = ServiceProcess(
                name="storefront",
                port=free_port(),
                env={
                    **stack["storefront"].env,
                    "STOREFRONT_PARTNER_KEY": partner["api_key"],
                    "STOREFRONT_CODE_SECRET": secrets.token_urlsafe(32),
                },
                log_path=logs / "site.log",
            )
            site.start()
            await site.wait_ready()
            tracking = await tracked_order(client.as_partner(partner["api_key"]), box.database_url)
            targets = [
                ("bare aiohttp-jinja2 page", f"http://127.0.0.1:{bare_port}/"),
                ("home page", f"{site.url}/"),
                ("tracking page", f"{site.url}/lacak/{tracking}"),
            ]
            print(f"{clients} clients, {seconds:g} s a page (after {WARM_UP_SECONDS:g} s warm-up)")
            print(f"{'page':<26}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'failed':>8}")
            for name, url in targets:
                got = await crowd(url, clients, seconds)
                print(
                    f"{name:<26}{got['rate']:>8}{got['p50_ms']:>9}{got['p99_ms']:>9}"
                    f"{got['max_ms']:>9}{got['failures']:>8}"
                )
        finally:
            if site is not None:
                site.stop()
            stack.stop()
            bare.terminate()
            bare.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
    else:
        asyncio.run(run(args.clients, args.seconds))


if __name__ == "__main__":
    main()
