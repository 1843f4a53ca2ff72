"""How many `POST /v1/orders` a second one client gets, against the real services.

    .venv/bin/python -m bench.orders_post              # 10 s per variant
    .venv/bin/python -m bench.orders_post --seconds 30 --json results.json

Starts what it needs: a sandbox database and vhost on the Postgres and RabbitMQ of DATABASE_URL
and AMQP_URL (localhost by default) and the four services as processes, so the allocator and the
notifier consume the orders while they are placed, as in production. One client sends one
request at a time (closed loop), in three variants taken in turn: with the operator token and
no Idempotency-Key (the least a request may carry), with the operator token and a key, and as a
partner must call: its API key (looked up, hashed, rate-limited) and an Idempotency-Key.
`--alone` starts only intake and orders, to separate the endpoint's own cost from the load the
rest of the pipeline puts on the same machine.
"""

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.support.stack import Stack
from tools.client import HubClient, new_hub_code
from tools.sandbox import sandbox

BUYER = {"name": "Bank Kalteng", "type": "bank", "region": "Palangka Raya"}


OPERATOR_TOKEN = "bench-operator-token"


@dataclass(frozen=True)
class Variant:
    name: str
    token: str
    keyed: bool  # a new Idempotency-Key on every order


async def interleaved(
    session: aiohttp.ClientSession, url: str, hub: str, seconds: float, variants: list[Variant]
) -> dict[str, list[float]]:
    """Latencies (seconds) of the orders one client places, one after another, for `seconds`
    per variant, taking the variants in turn: a noisy moment on a shared machine then falls on
    all of them alike, rather than on whichever happened to be running."""
    body = {"hub": hub, "sku": "masker-kain", "quantity": 1, "buyer": BUYER}
    latencies: dict[str, list[float]] = {variant.name: [] for variant in variants}
    deadline = time.perf_counter() + seconds * len(variants)
    while time.perf_counter() < deadline:
        for variant in variants:
            headers = {"Authorization": f"Bearer {variant.token}"}
            if variant.keyed:
                headers["Idempotency-Key"] = uuid.uuid4().hex
            started = time.perf_counter()
            async with session.post(url, json=body, headers=headers) as response:
                await response.read()
                if response.status != 201:
                    raise RuntimeError(f"POST /v1/orders answered {response.status}")
            latencies[variant.name].append(time.perf_counter() - started)
    return latencies


def summary(name: str, latencies: list[float]) -> dict:
    """Orders per second as one client placing only this variant would get: 1 / mean latency."""
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "variant": name,
        "orders": len(latencies),
        "orders_per_second": round(len(latencies) / sum(latencies), 1),
        "p50_ms": round(cuts[49] * 1000, 2),
        "p99_ms": round(cuts[98] * 1000, 2),
        "max_ms": round(max(latencies) * 1000, 2),
    }


async def run(seconds: float, alone: bool) -> list[dict]:
    async with sandbox("plut_bench") as box:
        with tempfile.TemporaryDirectory() as logs:
            stack = Stack.plan(
                database_url=box.database_url,
                amqp_url=box.amqp_url,
                log_dir=Path(logs),
                extra_env={"LOG_LEVEL": "WARNING", "OPERATOR_TOKEN": OPERATOR_TOKEN},
            )
            if alone:
                for name in ("allocator", "notifier"):
                    del stack.services[name]
            await stack.start()
            try:
                async with aiohttp.ClientSession() as session:
                    client = HubClient(session, stack.urls(), operator_token=OPERATOR_TOKEN)
                    hub = new_hub_code("bench")
                    await client.open_hub(hub)
                    partner = await client.create_partner(
                        "Bank Kalteng", [hub], requests_per_minute=100_000
                    )
                    url = f"{stack['orders'].url}/v1/orders"
                    variants = [
                        Variant("operator", OPERATOR_TOKEN, keyed=False),
                        Variant("operator+key", OPERATOR_TOKEN, keyed=True),
                        Variant("partner+key", partner["api_key"], keyed=True),
                    ]
                    await interleaved(session, url, hub, 1.0, variants)  # warm-up
                    measured = await interleaved(session, url, hub, seconds, variants)
                    return [summary(name, latencies) for name, latencies in measured.items()]
            finally:
                stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per variant")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--alone", action="store_true", help="run only intake and orders")
    args = parser.parse_args()
    results = asyncio.run(run(args.seconds, args.alone))
    print(f"{'variant':<16} {'orders/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for row in results:
        print(
            f"{row['variant']:<16} {row['orders_per_second']:>9} {row['p50_ms']:>8} "
            f"{row['p99_ms']:>8} {row['max_ms']:>8}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
