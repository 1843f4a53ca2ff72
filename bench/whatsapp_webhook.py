"""Inbound WhatsApp notifications accepted per second by the notifier's webhook, beside a bare
aiohttp handler answering 200, in the same run.

    .venv/bin/python -m bench.whatsapp_webhook                   # 3 rounds of 5 s per target
    .venv/bin/python -m bench.whatsapp_webhook --seconds 10 --rounds 5 --clients 64

Starts the notifier alone (a sandbox database and vhost, `tests/support/stack.py`, JSON logs at
INFO as in production) with an app secret, and the bare handler (this module with
`--serve-bare PORT`) as a process of its own. One client process posts notifications as Meta
does, each a text message from a number and wamid of its own, signed with the app secret, in a
closed loop of `--clients` connections; the two targets are taken in turn, round after round,
so a noisy moment falls on both. The notifier checks the signature, reads the notification and
records it (one statement, rings its worker), and its worker hands each message to the
conversations meanwhile: all of that is in its figure. At the end, every notification the
notifier answered 200 must be in its table, once.
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

import aiohttp
import asyncpg
from aiohttp import web

from bench.measure import latency_summary, ratio
from bench.runners import AppProcess
from services.notifier.inbound.signature import HEADER, sign
from tests.support import whatsapp_webhooks as meta
from tests.support.stack import Stack, free_port
from tools.sandbox import sandbox

SECRET = "bench-whatsapp-app-secret"
PATH = "/v1/whatsapp/webhook"


def notification(n: int, run: str) -> bytes:
    """A notification of one text, from a number and with a wamid no other request has."""
    digits = f"628{n % 10**10:010d}"
    value = meta.inbound(digits, "Sari", f"wamid.{run}{n}", "text", text={"body": "STATUS"})
    return json.dumps(meta.notification("106540352242922", **value)).encode()


async def closed_loop(
    session: aiohttp.ClientSession, url: str, clients: int, seconds: float, run: str, start: int
) -> tuple[int, int, list[float]]:
    """(accepted, refused, latencies): `clients` posting one after another for `seconds`."""
    deadline = time.perf_counter() + seconds
    counter = iter(range(start, 10**12))
    accepted, refused, latencies = 0, 0, []

    async def client() -> None:
        nonlocal accepted, refused
        while time.perf_counter() < deadline:
            body = notification(next(counter), run)
            headers = {HEADER: sign(SECRET, body), "Content-Type": "application/json"}
            began = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
            latencies.append(time.perf_counter() - began)
            if response.status == 200:
                accepted += 1
            else:
                refused += 1

    await asyncio.gather(*(client() for _ in range(clients)))
    return accepted, refused, latencies


async def run(seconds: float, rounds: int, clients: int, logs: Path) -> dict:
    async with sandbox("plut_bench") as box:
        stack = Stack.plan(
            database_url=box.database_url,
            amqp_url=box.amqp_url,
            log_dir=logs,
            extra_env={"WHATSAPP_APP_SECRET": SECRET, "WHATSAPP_VERIFY_TOKEN": "bench"},
        )
        for name in [n for n in stack.services if n != "notifier"]:
            del stack.services[name]
        port = free_port()
        bare = AppProcess(
            "bare", ["bench.whatsapp_webhook", "--serve-bare", str(port)], port, logs / "bare.log"
        )
        await stack.start()
        await bare.start(ready_path=PATH)
        targets = {
            "bare aiohttp 200": bare.url + PATH,
            "notifier webhook": stack.urls()["notifier"] + PATH,
        }
        figures: dict[str, dict] = {
            name: {"rates": [], "latencies": [], "refused": 0} for name in targets
        }
        answered, n, run_id = 0, 0, uuid.uuid4().hex[:8]
        try:
            connector = aiohttp.TCPConnector(limit=clients)
            async with aiohttp.ClientSession(connector=connector) as session:
                order = list(targets.items())
                for turn in range(rounds + 1):  # the first a warm-up of a second, not counted
                    for name, url in order[turn % 2 :] + order[: turn % 2]:
                        took = seconds if turn else 1.0
                        accepted, refused, latencies = await closed_loop(
                            session, url, clients, took, run_id, n
                        )
                        n += accepted + refused
                        answered += (
                            accepted if url.endswith(PATH) and name.startswith("notifier") else 0
                        )
                        if not turn:
                            continue
                        figures[name]["rates"].append(accepted / seconds)
                        figures[name]["latencies"] += latencies
                        figures[name]["refused"] += refused
            conn = await asyncpg.connect(box.database_url)
            try:
                recorded = await conn.fetchval("SELECT count(*) FROM notifier.inbound_messages")
            finally:
                await conn.close()
        finally:
            bare.stop()
            stack.stop()
    rows = {
        name: {
            "accepted_per_second": round(statistics.median(f["rates"]), 1),
            "range": [round(min(f["rates"]), 1), round(max(f["rates"]), 1)],
            "refused": f["refused"],
            **latency_summary(f["latencies"]),
        }
        for name, f in figures.items()
    }
    return {
        "clients": clients,
        "seconds": seconds,
        "rounds": rounds,
        "targets": rows,
        "ratio": ratio(
            rows["notifier webhook"]["accepted_per_second"],
            rows["bare aiohttp 200"]["accepted_per_second"],
        ),
        "answered_200_by_notifier": answered,
        "recorded_by_notifier": recorded,
    }


def serve_bare(port: int) -> None:
    """The ceiling: aiohttp reading the body and answering 200, nothing else."""

    async def answer(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"statuses": 0, "messages": 1})

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_route("*", PATH, answer)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per target and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=32, help="connections at once")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as logs:
        result = asyncio.run(run(args.seconds, args.rounds, args.clients, Path(logs)))
    print(f"{args.clients} clients, {args.rounds} rounds of {args.seconds} s per target")
    print(f"{'target':<18} {'accepted/s':>11} {'range':>17} {'p50 ms':>8} {'p99 ms':>8}")
    for name, row in result["targets"].items():
        low, high = row["range"]
        print(
            f"{name:<18} {row['accepted_per_second']:>11} {f'{low}-{high}':>17} "
            f"{row['p50_ms']:>8} {row['p99_ms']:>8}"
        )
    print(f"notifier / bare: {result['ratio']}")
    print(
        f"notifications the notifier answered 200: {result['answered_200_by_notifier']}, "
        f"recorded: {result['recorded_by_notifier']}"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
