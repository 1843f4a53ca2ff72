"""The benchmark suite: every figure beside its ceiling, measured in the same run, one command.

    .venv/bin/python -m bench.suite --quick                  # a smoke run, a few minutes
    .venv/bin/python -m bench.suite --json out.json          # the full run (see bench/README.md)
    .venv/bin/python -m bench.suite --only e2e --soak 10     # ten minutes' soak

Starts what it needs (a sandbox database and vhost per section on the Postgres and RabbitMQ of
DATABASE_URL and AMQP_URL; the services as processes; the ceilings' tiny apps; a WhatsApp stub;
the load generators, each a process of its own), prints a table per section and the targets as
PASS/FAIL lines, and writes everything as JSON (`--json FILE`, and always into the run's
directory under bench/results/ with the services' logs and the profiles). It exits 0 whatever
the targets say: the figures are for people, and a shared machine makes them noisy.
"""

import argparse
import asyncio
import json
import math
import os
import platform
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aio_pika
import aiohttp
import asyncpg

from bench import allocate_delivery, allocator_consume, broker_floor, profiling, report
from bench.measure import flat, latency_summary, rate_the_cpus_allow, rss_mb
from bench.runners import (
    WRK_MISSING,
    AppProcess,
    BackendCpu,
    ReusePortProcess,
    Sampler,
    StubProcess,
    bare_work,
    broker_pids,
    closed_loop,
    cpu_of,
    loadgen,
    pids_of,
    servers_pids,
    wrk_path,
)
from shared.logging import configure_logging
from shared.topology import QUEUES
from tests.support.stack import Stack, free_port
from tools.client import HubClient, new_hub_code, wait_until
from tools.local_services import ROOT
from tools.sandbox import sandbox

OPERATOR_TOKEN = "bench-operator-token"
SKU = "masker-kain"
BUYER = {"name": "Bank Kalteng", "type": "bank", "region": "Palangka Raya"}
E2E_BUYER = {"name": "Ibu Sari", "type": "individual", "region": "Kapuas"}
DELIVERY_UNITS = 10_000  # the most one delivery may hold
SERVICE_ENV = {"OPERATOR_TOKEN": OPERATOR_TOKEN, "LOG_FORMAT": "json", "LOG_LEVEL": "INFO"}
# Every queue a service consumes, the allocator's partitions too (shared/topology.py).
CONSUMED_QUEUES = tuple(name for queue in QUEUES.values() for name in queue.queue_names)
SCHEMAS = ("intake", "orders", "allocator", "notifier")
# A soak prunes with retentions of minutes (shared/pruning.py), so that the tables that only grow
# without it are seen to level off within the run; their rows are sampled as it goes.
SOAK_PRUNING_ENV = {
    "PRUNE_EVERY_SECONDS": "20",
    "INBOX_RETENTION": "PT2M",
    "CALLBACK_RETENTION": "PT2M",
    "DELIVERY_ATTEMPTS_RETENTION": "PT2M",
    "INBOUND_RETENTION": "PT2M",
}
PRUNED_TABLES = (*(f"{schema}.inbox" for schema in SCHEMAS), "notifier.delivery_attempts")


@dataclass
class Plan:
    """What a run measures and for how long; `--quick` shrinks the durations and sizes."""

    quick: bool
    out: Path
    use_wrk: bool
    sections: list[str]
    seconds: float = 10.0  # each closed-loop run
    rounds: int = 3  # every variant and level, taken in turn this many times
    levels: tuple[int, ...] = (1, 8, 64)
    open_rates: tuple[float, ...] = (500.0, 1000.0)
    open_seconds: float = 20.0
    e2e_rate: float = 1000.0
    e2e_seconds: float = 60.0
    e2e_steps: int = 4
    e2e_rates: tuple[float, ...] = ()  # given: exactly these, no search
    consume_messages: int = 20_000
    floor_orders: int = 10_000  # orders' events through the broker alone (bench/broker_floor.py)
    delivery_orders: tuple[int, ...] = (1_000, 1_000_000)
    deliveries: int = 10
    growth_sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    orders_processes: tuple[int, ...] = (2,)
    profile: bool = True
    profile_seconds: float = 10.0
    soak_minutes: float = 0.0
    soak_rate: float | None = None
    notes: list[str] = field(default_factory=list)


def make_plan(args: argparse.Namespace) -> Plan:
    sections = args.only.split(",") if args.only else ["intake", "e2e", "allocator", "growth"]
    if args.soak and "soak" not in sections:
        sections.append("soak")
    unknown = set(sections) - {"intake", "e2e", "allocator", "growth", "soak"}
    if unknown:
        raise SystemExit(f"unknown section(s): {', '.join(sorted(unknown))}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or ROOT / "bench" / "results" / stamp
    use_wrk = args.client == "wrk" or (args.client == "auto" and wrk_path() is not None)
    if use_wrk and wrk_path() is None:
        raise SystemExit(WRK_MISSING)
    plan = Plan(quick=args.quick, out=out, use_wrk=use_wrk, sections=sections)
    if args.quick:
        plan.seconds, plan.rounds = 3.0, 1
        plan.open_seconds = 5.0
        plan.e2e_seconds, plan.e2e_steps = 10.0, 2
        plan.consume_messages = 5_000
        plan.floor_orders = 2_000
        plan.delivery_orders = (1_000,)
        plan.deliveries = 10
        plan.growth_sizes = (10_000,)
        plan.orders_processes = ()
        plan.profile = False
        plan.profile_seconds = 5.0
    if args.large:
        plan.delivery_orders = (1_000, 1_000_000)
        plan.growth_sizes = (10_000, 100_000, 1_000_000)
    if args.seconds:
        plan.seconds = args.seconds
    if args.rounds:
        plan.rounds = args.rounds
    if args.e2e_seconds:
        plan.e2e_seconds = args.e2e_seconds
    if args.e2e_rate:
        plan.e2e_rates = tuple(args.e2e_rate)
    if args.open_rate:
        plan.open_rates = tuple(args.open_rate)
    if args.orders_processes is not None:
        plan.orders_processes = tuple(n for n in args.orders_processes if n > 1)
    if args.profile is not None:
        plan.profile = args.profile
    plan.soak_minutes = args.soak or 0.0
    plan.soak_rate = args.soak_rate
    if plan.profile and profiling.available() is None:
        plan.profile = False
        plan.notes.append(
            "py-spy is not installed, so nothing was profiled: .venv/bin/python -m pip install "
            "py-spy"
        )
    if not use_wrk:
        plan.notes.append(WRK_MISSING if wrk_path() is None else "closed loop: Python client")
    return plan


def say(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


# Order intake, beside its ceilings.


@dataclass
class Variant:
    name: str
    levels: tuple[int, ...]
    url: str | None = None  # HTTP variants
    token: str | None = None
    pids: list[int] = field(default_factory=list)  # whose CPU time is counted per order


async def intake_section(plan: Plan) -> dict:
    logs = plan.out / "logs" / "intake"
    logs.mkdir(parents=True, exist_ok=True)
    async with sandbox("plut_bench") as box:
        stack = Stack.plan(
            database_url=box.database_url,
            amqp_url=box.amqp_url,
            log_dir=logs,
            extra_env=SERVICE_ENV,
        )
        for name in ("allocator", "notifier"):  # the endpoint alone; the pipeline is e2e's
            del stack.services[name]
        ports = [free_port() for _ in range(3)]
        bare = AppProcess("bare", ["bench.bare_app", "--port", str(ports[0])], ports[0],
                          logs / "bare_app.log")  # fmt: skip
        plumbing = AppProcess(
            "plumbing",
            ["bench.bare_app", "--port", str(ports[1]), "--plumbing"],
            ports[1],
            logs / "bare_app_plumbing.log",
        )
        naive = AppProcess(
            "naive",
            ["bench.naive_app", "--port", str(ports[2]), "--database-url", box.database_url,
             "--amqp-url", box.amqp_url],
            ports[2],
            logs / "naive_app.log",
        )  # fmt: skip
        apps = [bare, plumbing, naive]
        conn = await asyncpg.connect(box.database_url)
        amqp = await aio_pika.connect_robust(box.amqp_url)
        try:
            await stack.start()
            for app in apps:
                await app.start()
            channel = await amqp.channel()
            async with aiohttp.ClientSession() as session:
                client = HubClient(session, stack.urls(), operator_token=OPERATOR_TOKEN)
                hub = new_hub_code("bench")
                await client.open_hub(hub, SKU)
                partner = await client.create_partner(
                    "Bank Kalteng", [hub], requests_per_minute=100_000
                )
            body = {"hub": hub, "sku": SKU, "quantity": 1, "buyer": BUYER}
            orders_url = f"{stack['orders'].url}/v1/orders"
            service_pids = pids_of([stack["orders"]])
            sampler = Sampler(0.5)
            sampler.watch("orders", service_pids)
            sampler.watch("intake", pids_of([stack["intake"]]))
            idle = {
                "orders": rss_mb(service_pids[0]),
                "intake": rss_mb(stack["intake"].process.pid),
            }
            variants = [
                Variant("bare aiohttp JSON", plan.levels, f"{bare.url}/v1/orders", None,
                        bare.pids),
                Variant("aiohttp + services' plumbing", (64,), f"{plumbing.url}/v1/orders",
                        OPERATOR_TOKEN, plumbing.pids),
                Variant("naive baseline", plan.levels, f"{naive.url}/v1/orders", OPERATOR_TOKEN,
                        naive.pids),
                Variant("bare work (no HTTP)", plan.levels),
                Variant("orders service", plan.levels, orders_url, OPERATOR_TOKEN, service_pids),
                Variant("orders service, partner key", (64,), orders_url, partner["api_key"],
                        service_pids),
            ]  # fmt: skip

            async def tidy() -> None:
                """Between runs: the queues nobody consumes here are emptied, so the broker
                carries no backlog from one run into the next (bare work empties its own)."""
                for name in ("allocator.events", "notifier.events", "bench.naive.allocator",
                             "bench.naive.notifier"):  # fmt: skip
                    await (await channel.get_queue(name)).purge()

            async def one_run(variant: Variant, level: int, seconds: float) -> dict:
                if variant.url is None:
                    result = await _patiently(
                        lambda: bare_work(box.database_url, box.amqp_url, level, seconds)
                    )
                    result["client"] = "plain loop"
                    return result
                count_before = await _settled_count(conn)
                cpu_before = cpu_of(variant.pids)
                servers_before = cpu_of(servers_pids())
                result = await closed_loop(
                    variant.url, level, seconds, variant.token, body, use_wrk=plan.use_wrk
                )
                cpu = cpu_of(variant.pids) - cpu_before
                servers = cpu_of(servers_pids()) - servers_before
                if result["orders"]:
                    result["cpu_ms_per_order"] = round(1000 * cpu / result["orders"], 3)
                    # What Postgres and RabbitMQ spent on them too (the relay's publishes with
                    # the orders service's), so what each order costs the machine in all.
                    result["servers_cpu_ms_per_order"] = round(1000 * servers / result["orders"], 3)
                if variant.url == orders_url:
                    stored = await _settled_count(conn)
                    result.update(await _check_orders(conn, stored - count_before, result, level))
                return result

            say("intake: warming up each endpoint")
            sampler.start()
            for variant in variants:
                if variant.url is not None:
                    await closed_loop(variant.url, 64, 2, variant.token, body, use_wrk=plan.use_wrk)
            await tidy()
            runs: dict[tuple[str, int], list[dict]] = {}
            for round_number in range(plan.rounds):
                for level in plan.levels:
                    shift = (round_number + plan.levels.index(level)) % len(variants)
                    for variant in variants[shift:] + variants[:shift]:
                        if level not in variant.levels:
                            continue
                        result = await one_run(variant, level, plan.seconds)
                        runs.setdefault((variant.name, level), []).append(result)
                        say(
                            f"intake: {variant.name} at {level}: {result['per_second']}/s, "
                            f"p99 {result['p99_ms']} ms"
                        )
                        await tidy()
            closed = [
                _median_of_runs(name, level, results) for (name, level), results in runs.items()
            ]
            opened = []
            for rate in plan.open_rates:
                count_before = await _settled_count(conn)
                cpu_before = cpu_of(service_pids)
                result = await loadgen(
                    {
                        "mode": "open",
                        "url": orders_url,
                        "token": OPERATOR_TOKEN,
                        "body": body,
                        "rate": rate,
                        "seconds": plan.open_seconds,
                        "connections": 256,
                    }
                )
                if result["answered"]:
                    cpu = cpu_of(service_pids) - cpu_before
                    result["cpu_ms_per_order"] = round(1000 * cpu / result["answered"], 3)
                result["stored"] = await _settled_count(conn) - count_before
                opened.append(result)
                say(f"intake: open loop at {rate}/s: {result['per_second']}/s answered, "
                    f"p99 {result['p99_ms']} ms")  # fmt: skip
                await tidy()
            profile = None
            if plan.profile:
                profile = await _profile_under_wrk(
                    plan, "orders", service_pids[0], orders_url, body
                )
                await tidy()
            await sampler.stop()
            load = {
                "orders": sampler.peak("rss:orders"),
                "intake": sampler.peak("rss:intake"),
            }
            replicas = []
            for processes in plan.orders_processes:
                replicas.append(await _reuse_port_runs(plan, stack, processes, body, logs, tidy))
        finally:
            for app in apps:
                app.stop()
            stack.stop()
            await amqp.close()
            await conn.close()
    return {
        "closed_loop": closed,
        "rounds": {f"{name} @{level}": results for (name, level), results in runs.items()},
        "open_loop": opened,
        "reuse_port": replicas,
        "profile": profile,
        "memory": {"idle": idle, "under_load": load},
    }


async def _patiently(attempt, tries: int = 4):
    """Run a helper process again when Postgres had no connection to spare: its
    max_connections are shared with whatever else uses the server."""
    for number in range(tries):
        try:
            return await attempt()
        except RuntimeError as error:
            if "too many clients" not in str(error) or number == tries - 1:
                raise
            say("Postgres has no connection to spare (max_connections); trying again in 10 s")
            await asyncio.sleep(10)


async def _settled_count(conn: asyncpg.Connection, timeout: float = 10.0) -> int:
    """The orders stored, once no more are coming: requests a client left in flight at the end
    of its run are still answered (and stored) after it stops counting."""
    deadline = time.monotonic() + timeout
    count = await conn.fetchval("SELECT count(*) FROM orders.orders")
    while time.monotonic() < deadline:
        await asyncio.sleep(0.3)
        again = await conn.fetchval("SELECT count(*) FROM orders.orders")
        if again == count:
            break
        count = again
    return count


async def _check_orders(conn: asyncpg.Connection, stored: int, result: dict, level: int) -> dict:
    """Every order answered 201 is stored; a few more may be, answered after the client hung up
    at the end of its run (at most one per connection). And how far the relay is behind."""
    outbox = await conn.fetchval("SELECT count(*) FROM orders.outbox")
    good = result["orders"] <= stored <= result.get("requests", result["orders"]) + level
    return {"stored": stored, "stored_ok": good, "outbox_after": outbox}


def _median_of_runs(name: str, level: int, results: list[dict]) -> dict:
    """One row from the rounds of a variant at a level: the median of each figure."""

    def median(key: str) -> float | None:
        values = [r[key] for r in results if r.get(key) is not None]
        return round(statistics.median(values), 3) if values else None

    row = {
        "variant": name,
        "concurrency": level,
        "rounds": len(results),
        "client": results[0].get("client"),
        "orders": sum(r["orders"] for r in results),
        "per_second": median("per_second"),
        "per_second_range": [min(r["per_second"] for r in results),
                             max(r["per_second"] for r in results)],
        "p50_ms": median("p50_ms"),
        "p99_ms": median("p99_ms"),
        "max_ms": max(r["max_ms"] for r in results if r.get("max_ms") is not None),
        "cpu_ms_per_order": median("cpu_ms_per_order"),
        "servers_cpu_ms_per_order": median("servers_cpu_ms_per_order"),
        "errors": [r["errors"] for r in results if r.get("errors")],
    }  # fmt: skip
    if row["cpu_ms_per_order"] is not None and row["servers_cpu_ms_per_order"] is not None:
        row["orders_per_second_the_cpus_allow"] = rate_the_cpus_allow(
            [row["cpu_ms_per_order"], row["servers_cpu_ms_per_order"]], os.cpu_count() or 1
        )
    if any("stored_ok" in r for r in results):
        row["stored_ok"] = all(r.get("stored_ok", True) for r in results)
        row["outbox_after_max"] = max(r.get("outbox_after", 0) for r in results)
    return row


async def _profile_under_wrk(
    plan: Plan, name: str, pid: int, url: str, body: dict, level: int = 64
) -> dict:
    """A run at `level` clients, not counted, with py-spy sampling the service meanwhile."""
    say(f"intake: profiling {name} at {level} clients for {plan.profile_seconds:g} s (py-spy)")
    raw = plan.out / f"profile-{name}-intake.txt"
    recording = profiling.Recording(pid, plan.profile_seconds, raw)
    load = await closed_loop(
        url, level, plan.profile_seconds + 1, OPERATOR_TOKEN, body, use_wrk=plan.use_wrk
    )
    profile = await recording.finish(f"{name} under {level} closed-loop clients")
    profile["load"] = {k: load.get(k) for k in ("per_second", "p50_ms", "p99_ms")}
    return profile


async def _reuse_port_runs(plan, stack, processes: int, body: dict, logs: Path, tidy) -> dict:
    """The orders service as `processes` processes on one port (SO_REUSEPORT, bench/serve.py),
    at 64 clients, beside one process measured again right before."""
    say(f"intake: orders as {processes} processes sharing the port (SO_REUSEPORT)")
    single = stack["orders"]
    url = f"{single.url}/v1/orders"
    before = await closed_loop(url, 64, plan.seconds, OPERATOR_TOKEN, body, use_wrk=plan.use_wrk)
    await tidy()
    single.stop()
    replicas = [
        ReusePortProcess(
            name="orders", port=single.port, env=single.env, log_path=logs / f"orders-{n}.log"
        )
        for n in range(processes)
    ]
    try:
        for replica in replicas:
            replica.start()
        await asyncio.gather(*(replica.wait_ready() for replica in replicas))
        pids = pids_of(replicas)
        await closed_loop(url, 64, 2, OPERATOR_TOKEN, body, use_wrk=plan.use_wrk)  # warm-up
        cpu_before = cpu_of(pids)
        after = await closed_loop(url, 64, plan.seconds, OPERATOR_TOKEN, body, use_wrk=plan.use_wrk)
        cpu = cpu_of(pids) - cpu_before
        after["cpu_ms_per_order"] = round(1000 * cpu / max(after["orders"], 1), 3)
        after["rss_mb"] = [rss_mb(pid) for pid in pids]
        await tidy()
    finally:
        for replica in replicas:
            replica.stop()
        single.start()  # as it was, for whatever comes next
        await single.wait_ready()
    return {"processes": processes, "one_process": before, "reuse_port": after}


# End to end: the whole system at a steady rate.


async def e2e_section(plan: Plan) -> dict:
    # The ceiling beside the steps: the bus alone, carrying each order's events as the system does.
    say(f"e2e: {plan.floor_orders} orders' events through the broker alone (bench/broker_floor.py)")
    floor = await broker_floor.run(plan.floor_orders)
    steps = []
    if plan.e2e_rates:
        for rate in plan.e2e_rates:
            steps.append(await e2e_step(plan, rate, plan.e2e_seconds, profile=plan.profile))
    else:
        rate = plan.e2e_rate
        for number in range(plan.e2e_steps):
            step = await e2e_step(plan, rate, plan.e2e_seconds, profile=plan.profile and not number)
            steps.append(step)
            if step["sustained"]:
                break
            # Next: what it got through, less a margin, and at most half the last rate.
            done = step["allocated_per_second"] or 0
            rate = math.floor(min(0.8 * done, 0.5 * rate) / 10) * 10
            if rate < 10:
                break
    sustained = [s["rate"] for s in steps if s["sustained"]]
    return {
        "steps": steps,
        "highest_sustained_rate": max(sustained) if sustained else None,
        "broker_floor": floor,
    }


async def e2e_step(
    plan: Plan,
    rate: float,
    seconds: float,
    *,
    profile: bool,
    label: str = "e2e",
    extra_env: dict[str, str] | None = None,
    watch_rows: bool = False,
) -> dict:
    """A fresh system; orders at `rate` for `seconds`; each order followed to its allocation
    (on the bus) and to the buyer's WhatsApp message (at the stub). `watch_rows`: the pruned
    tables' rows are sampled too, to see them level off."""
    logs = plan.out / "logs" / f"{label}-{rate:g}"
    logs.mkdir(parents=True, exist_ok=True)
    say(f"{label}: {rate:g} orders/s for {seconds:g} s, the whole system")
    async with sandbox("plut_bench") as box:
        stub = await StubProcess(logs / "whatsapp_stub.log").start()
        stack = Stack.plan(
            database_url=box.database_url,
            amqp_url=box.amqp_url,
            log_dir=logs,
            extra_env={**SERVICE_ENV, **stub.env, **(extra_env or {})},
        )
        conn = await asyncpg.connect(box.database_url)
        amqp = await aio_pika.connect_robust(box.amqp_url)
        try:
            await stack.start()
            hub = await _stocked_hub(stack, units=int(rate * seconds * 1.05) + 100)
            sampler = Sampler(1.0 if seconds < 300 else 5.0)
            for name, service in stack.services.items():
                sampler.watch(name, pids_of([service]))
            sampler.watch("whatsapp stub", [stub.pid])
            parts: dict[str, list[int]] = {}
            sampler.probe("backlog", await _backlog_probe(conn, amqp, parts))
            if watch_rows:
                for table in PRUNED_TABLES:
                    sampler.probe(f"rows:{table}", _rows_probe(conn, table))
            idle = await _idle_rss(stack)
            pids = {name: pids_of([service]) for name, service in stack.services.items()}
            cpu_before = {name: cpu_of(p) for name, p in pids.items()}
            infrastructure = {"rabbitmq": broker_pids(), "whatsapp stub": [stub.pid]}
            infrastructure_before = {name: cpu_of(p) for name, p in infrastructure.items()}
            # A connection of its own: the sampler's probes query `conn` meanwhile.
            database = BackendCpu(await asyncpg.connect(box.database_url))
            await database.start()
            sampler.start()
            spies = {}
            if profile:
                for name in ("orders", "allocator", "notifier"):
                    raw = plan.out / f"profile-{name}-{label}-{rate:g}.txt"
                    spies[name] = profiling.Recording(stack[name].process.pid, seconds, raw)
            drain = max(15.0, min(seconds, 60.0))
            result = await loadgen(
                {
                    "mode": "e2e",
                    "url": f"{stack['orders'].url}/v1/orders",
                    "token": OPERATOR_TOKEN,
                    "body": {"hub": hub, "sku": SKU, "quantity": 1, "buyer": E2E_BUYER},
                    "vary_phone": True,
                    "rate": rate,
                    "seconds": seconds,
                    "amqp_url": box.amqp_url,
                    "drain_seconds": drain,
                    "connections": 256,
                },
                timeout=seconds + drain + 300,
            )
            messages = await _buyer_messages(stub, result, timeout=10.0)
            cpu = {name: cpu_of(p) - cpu_before[name] for name, p in pids.items()}
            await sampler.stop()
            beneath = {
                **{f"postgres for {n}": used for n, used in (await database.used()).items()},
                **{n: cpu_of(p) - infrastructure_before[n] for n, p in infrastructure.items()},
            }
            await database.conn.close()
            profiles = {}
            for name, recording in spies.items():
                title = f"{name}, whole system at {rate:g} orders/s"
                profiles[name] = await recording.finish(title)
        finally:
            stack.stop()
            await stub.stop()
            await amqp.close()
            await conn.close()
    figures = _e2e_figures(rate, seconds, result, messages, sampler, idle, parts, profiles)
    if watch_rows:
        figures["rows"] = _rows_trend(sampler, rate)

    # CPU time each service spent from the first order to the last message, per order placed:
    # what the machine must give each order, less noisy than a rate on a shared machine.
    def per_order(used: dict[str, float]) -> dict[str, float]:
        return {name: round(1000 * s / max(result["answered"], 1), 3) for name, s in used.items()}

    figures["cpu_ms_per_order"] = per_order(cpu)
    # What the services lean on, per order too: with the services' own, what the machine must
    # give each order, and so how many a second its cores could carry at best.
    figures["infrastructure_cpu_ms_per_order"] = per_order(beneath)
    figures["orders_per_second_the_cpus_allow"] = rate_the_cpus_allow(
        [*per_order(cpu).values(), *per_order(beneath).values()], os.cpu_count() or 1
    )
    return figures


async def _stocked_hub(stack: Stack, units: int) -> str:
    """A hub with the product, a producer on WhatsApp, and deliveries of at least `units`,
    which the allocator has taken in before the orders start."""
    async with aiohttp.ClientSession() as session:
        client = HubClient(session, stack.urls(), operator_token=OPERATOR_TOKEN)
        hub = new_hub_code("e2e")
        await client.open_hub(hub, SKU)
        producer = await client.register_producer(
            hub, name="Ibu Wati", phone="+6281299999999", regency="Kapuas"
        )
        for _ in range(math.ceil(units / DELIVERY_UNITS)):
            await client.record_delivery(hub, producer["id"], SKU, DELIVERY_UNITS)
        wanted = math.ceil(units / DELIVERY_UNITS) * DELIVERY_UNITS

        async def stocked() -> bool:
            return (await client.stock(hub, SKU))["available"] >= wanted

        await wait_until(stocked, what="the deliveries at the allocator", timeout=60)
    return hub


async def _idle_rss(stack: Stack) -> dict:
    """Each service's RSS at rest, once started and set up (the mean of a few samples)."""
    samples: dict[str, list[float]] = {}
    for _ in range(3):
        for name, service in stack.services.items():
            value = rss_mb(service.process.pid)
            if value is not None:
                samples.setdefault(name, []).append(value)
        await asyncio.sleep(0.5)
    return {name: round(statistics.mean(values), 1) for name, values in samples.items()}


async def _backlog_probe(conn: asyncpg.Connection, amqp, parts: dict[str, list[int]]):
    """A probe answering the whole backlog: events waiting in the four services' queues, rows
    waiting in their outboxes, messages waiting to be sent. Each part's peak goes to `parts`."""
    channel = await amqp.channel()

    async def depth(queue: str) -> int:
        underlay = await channel.get_underlay_channel()
        return (await underlay.queue_declare(queue, passive=True)).message_count

    outboxes = " + ".join(f"(SELECT count(*) FROM {schema}.outbox)" for schema in SCHEMAS)
    waiting = (
        f"SELECT {outboxes}, (SELECT count(*) FROM notifier.messages WHERE status = 'pending')"
    )

    async def probe() -> float:
        row = await conn.fetchrow(waiting)
        values = {"outboxes": row[0], "messages pending": row[1]}
        for queue in CONSUMED_QUEUES:
            values[queue] = await depth(queue)
        for name, value in values.items():
            parts.setdefault(name, []).append(value)
        return float(sum(values.values()))

    return probe


async def _buyer_messages(stub: StubProcess, result: dict, timeout: float) -> dict[str, float]:
    """When the stub accepted each order's "allocated" message to its buyer (by order id),
    waiting a little for the last of those whose order was allocated."""
    wanted = {order_id for order_id, _, _, allocated in result["orders"] if allocated is not None}
    accepted: dict[str, float] = {}
    seen = 0
    deadline = time.monotonic() + timeout
    while True:
        answer = await stub.deliveries(since=seen)
        seen = answer["total"]
        for template, order_id, at, _ in answer["deliveries"]:
            if template == "plut_order_allocated" and order_id is not None:
                accepted.setdefault(order_id, at)
        if wanted.issubset(accepted) or time.monotonic() > deadline:
            return accepted
        await asyncio.sleep(0.25)


def _e2e_figures(
    rate: float,
    seconds: float,
    result: dict,
    messages: dict[str, float],
    sampler: Sampler,
    idle: dict,
    parts: dict[str, list[int]],
    profiles: dict,
) -> dict:
    orders = result["orders"]
    first_due = min((due for _, due, _, _ in orders), default=0.0)
    last_due = max((due for _, due, _, _ in orders), default=0.0)
    last_answer = max((answered for _, _, answered, _ in orders), default=0.0)
    watched_until = last_answer + result["seconds_after_last_answer"]
    # An order not allocated when the watch ended counts as having waited until then: the
    # percentiles are then lower bounds, and say so ("censored").
    to_allocated = [
        (allocated if allocated is not None else watched_until) - answered
        for _, _, answered, allocated in orders
    ]
    to_message = [
        messages.get(order_id, watched_until) - answered for order_id, _, answered, _ in orders
    ]
    allocated_at = [allocated for _, _, _, allocated in orders if allocated is not None]
    allocated_span = (max(allocated_at) - first_due) if allocated_at else None
    backlog = sampler.between("backlog", first_due, last_due)
    tolerance = max(0.02 * rate, 5.0)
    is_flat, backlog_slope = flat([(t - first_due, v) for t, v in backlog], tolerance=tolerance)
    after = sampler.series.get("backlog", [])
    answered_rate = result["answered"] / max(last_answer - first_due, 1e-9) if orders else 0.0
    everything_allocated = result["allocated"] == result["answered"] == result["offered"]
    figures = {
        "rate": rate,
        "seconds": seconds,
        "offered": result["offered"],
        "answered": result["answered"],
        "errors": result["errors"],
        "error_samples": result["error_samples"],
        "refused_by_client": result["refused_by_client"],
        "client_behind_p99_ms": result["client_behind_p99_ms"],
        "answered_per_second": round(answered_rate, 1),
        "post": {k: result[k] for k in ("p50_ms", "p99_ms", "max_ms")},
        "allocated": result["allocated"],
        "allocated_per_second": round(len(allocated_at) / allocated_span, 1)
        if allocated_span
        else None,
        "to_allocated": {
            **latency_summary(to_allocated),
            "censored": len(orders) - len(allocated_at),
        },
        "buyer_messages": len([o for o, *_ in orders if o in messages]),
        "to_buyer_message": {
            **latency_summary(to_message),
            "censored": len([o for o, *_ in orders if o not in messages]),
        },
        "backlog": {
            "slope_per_second": None if backlog_slope is None else round(backlog_slope, 2),
            "tolerance_per_second": tolerance,
            "flat": is_flat,
            "during_load_max": max((v for _, v in backlog), default=None),
            "at_end_of_watch": after[-1][1] if after else None,
            "part_peaks": {name: max(values) for name, values in parts.items()},
        },
        "memory": {
            "idle": idle,
            "under_load": {
                name.removeprefix("rss:"): sampler.peak(name, first_due, last_due)
                for name in sampler.series
                if name.startswith("rss:")
            },
            "trend": _memory_trend(sampler, first_due, last_due),
        },
        "profiles": profiles,
    }
    if seconds >= 300:  # a soak: the series themselves, to plot or to read
        figures["series"] = {
            name: [[round(t - first_due, 1), round(v, 1)] for t, v in points]
            for name, points in sampler.series.items()
        }
    figures["sustained"] = bool(
        not result["errors"] and answered_rate >= 0.95 * rate and everything_allocated and is_flat
    )
    return figures


RSS_TOLERANCE_MB_PER_MINUTE = 1.0  # "flat": under 10 MB more over ten minutes
# "Flat" rows: growing at under 5% of the order rate once the first retention has passed
# (unpruned, an inbox grows by about the order rate or more).
ROWS_TOLERANCE_OF_RATE = 0.05


def _rows_probe(conn: asyncpg.Connection, table: str):
    async def probe() -> int:
        return await conn.fetchval(f"SELECT count(*) FROM {table}")

    return probe


def _rows_trend(sampler: Sampler, rate: float) -> dict:
    """Per pruned table, its rows at the start, peak and end, and whether they stay flat after
    the first third of the run (the retention passing, and the first prunes)."""
    trend = {}
    for name, points in sampler.series.items():
        if not name.startswith("rows:"):
            continue
        is_flat, per_second = flat(
            points, skip_fraction=1 / 3, tolerance=rate * ROWS_TOLERANCE_OF_RATE
        )
        trend[name.removeprefix("rows:")] = {
            "first": int(points[0][1]),
            "peak": int(max(v for _, v in points)),
            "last": int(points[-1][1]),
            "per_second": None if per_second is None else round(per_second, 2),
            "flat": is_flat,
        }
    return trend


def _memory_trend(sampler: Sampler, start: float, end: float) -> dict:
    """Per service, the slope of its RSS over the load (MB a minute, the first fifth left out
    as warm-up), and whether that is flat."""
    trend = {}
    for name in sampler.series:
        if not name.startswith("rss:"):
            continue
        points = [((t - start) / 60, v) for t, v in sampler.between(name, start, end)]
        is_flat, per_minute = flat(points, tolerance=RSS_TOLERANCE_MB_PER_MINUTE)
        trend[name.removeprefix("rss:")] = {
            "mb_per_minute": None if per_minute is None else round(per_minute, 3),
            "flat": is_flat,
            "first_mb": points[0][1] if points else None,
            "last_mb": points[-1][1] if points else None,
        }
    return trend


# The allocator: consumption against a consumer with no work, and one delivery's allocation.


async def allocator_section(plan: Plan) -> dict:
    logs = plan.out / "logs" / "allocator"
    logs.mkdir(parents=True, exist_ok=True)
    say(f"allocator: consuming {plan.consume_messages} order.placed (bench/allocator_consume.py)")
    consume = await allocator_consume.run(plan.consume_messages, 1, 0, logs)
    cases = []
    async with sandbox("plut_bench") as box:
        for orders in plan.delivery_orders:
            say(f"allocator: one delivery on {orders} waiting orders (bench/allocate_delivery.py)")
            cases.append(
                await allocate_delivery.run_case(
                    box.database_url, orders, "fifo", 2_000, 2, plan.deliveries
                )
            )
    return {
        "consume": consume,
        "allocate_delivery": {"cases": cases, "verdict": allocate_delivery.verdict(cases)},
    }


# Growth: the cost of an order with many already in the system.

PRELOAD_ORDERS = """
INSERT INTO orders.orders (id, hub, sku, quantity, buyer, accept_partial, priority_class,
                           placed_at)
SELECT gen_random_uuid(), $1, $2, 1 + i % 50,
       jsonb_build_object('name', 'Pembeli ' || i, 'type', 'individual', 'region', 'Kapuas',
                          'phone', '+62812' || lpad(i::text, 8, '0')),
       true, 'public', now() - interval '20 hours' + i * interval '1 millisecond'
FROM generate_series($3::int, $4::int) AS i
"""
PRELOAD_KEYS = """
INSERT INTO orders.idempotency_keys (owner, key, request_hash, status, response, created_at)
SELECT 'operator', 'preload-' || i, md5(i::text), 201, '{}', now() - interval '20 hours'
FROM generate_series($1::int, $2::int) AS i
"""


async def growth_section(plan: Plan) -> dict:
    logs = plan.out / "logs" / "growth"
    logs.mkdir(parents=True, exist_ok=True)
    rows = []
    async with sandbox("plut_bench") as box:
        stack = Stack.plan(
            database_url=box.database_url, amqp_url=box.amqp_url, log_dir=logs,
            extra_env=SERVICE_ENV,
        )  # fmt: skip
        for name in ("allocator", "notifier"):
            del stack.services[name]
        conn = await asyncpg.connect(box.database_url)
        amqp = await aio_pika.connect_robust(box.amqp_url)
        try:
            await stack.start()
            async with aiohttp.ClientSession() as session:
                client = HubClient(session, stack.urls(), operator_token=OPERATOR_TOKEN)
                hub = new_hub_code("grow")
                await client.open_hub(hub, SKU)
            channel = await amqp.channel()
            body = {"hub": hub, "sku": SKU, "quantity": 1, "buyer": BUYER}
            url = f"{stack['orders'].url}/v1/orders"
            pids = pids_of([stack["orders"]])
            loaded = 0
            for size in plan.growth_sizes:
                say(f"growth: loading to {size} orders")
                started = time.perf_counter()
                if size > loaded:
                    await conn.execute(PRELOAD_ORDERS, hub, SKU, loaded + 1, size)
                    await conn.execute(PRELOAD_KEYS, loaded + 1, size)
                    loaded = size
                await conn.execute("VACUUM ANALYZE orders.orders")
                await conn.execute("VACUUM ANALYZE orders.idempotency_keys")
                load_seconds = time.perf_counter() - started
                in_system = await conn.fetchval("SELECT count(*) FROM orders.orders")
                await closed_loop(url, 64, 2, OPERATOR_TOKEN, body, use_wrk=plan.use_wrk)
                row = {"orders_in_system": in_system, "load_seconds": round(load_seconds, 1)}
                for level in (1, 64):
                    cpu_before = cpu_of(pids)
                    result = await closed_loop(
                        url, level, plan.seconds, OPERATOR_TOKEN, body, use_wrk=plan.use_wrk
                    )
                    cpu = cpu_of(pids) - cpu_before
                    row[f"at_{level}"] = {
                        k: result[k] for k in ("per_second", "p50_ms", "p99_ms", "max_ms")
                    }
                    row[f"at_{level}"]["cpu_ms_per_order"] = round(
                        1000 * cpu / max(result["orders"], 1), 3
                    )
                    await (await channel.get_queue("allocator.events")).purge()
                    await (await channel.get_queue("notifier.events")).purge()
                rows.append(row)
                say(
                    f"growth: {in_system} orders: {row['at_64']['per_second']}/s at 64, "
                    f"p50 {row['at_1']['p50_ms']} ms at 1"
                )
        finally:
            stack.stop()
            await amqp.close()
            await conn.close()
    return {"sizes": rows}


# Soak: memory and backlog over a long steady run.


async def soak_section(plan: Plan, e2e: dict | None) -> dict:
    rate = plan.soak_rate
    if rate is None:
        # 80% of the highest rate the system kept up with; if none, half the lowest tried.
        steps = (e2e or {}).get("steps") or []
        found = (e2e or {}).get("highest_sustained_rate")
        if found:
            rate = max(math.floor(found * 0.8 / 5) * 5, 5)
        elif steps:
            rate = max(math.floor(min(s["rate"] for s in steps) / 2 / 5) * 5, 5)
        else:
            rate = 50.0
    seconds = plan.soak_minutes * 60
    step = await e2e_step(
        plan,
        rate,
        seconds,
        profile=False,
        label="soak",
        extra_env=SOAK_PRUNING_ENV,
        watch_rows=True,
    )
    return {"rate": rate, "minutes": plan.soak_minutes, "step": step}


def machine() -> dict:
    def text(argv: list[str]) -> str | None:
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=5).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    return {
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "commit": text(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
        "wrk": (text(["wrk", "--version"]) or "").splitlines()[0:1] if wrk_path() else None,
    }


async def run(plan: Plan) -> dict:
    plan.out.mkdir(parents=True, exist_ok=True)
    results: dict = {"started": datetime.now(UTC).isoformat(), "machine": machine(),
                     "plan": {**asdict(plan), "out": str(plan.out)}}  # fmt: skip
    for note in plan.notes:
        say(note)
    if "intake" in plan.sections:
        results["intake"] = await intake_section(plan)
    if "e2e" in plan.sections:
        results["e2e"] = await e2e_section(plan)
    if "allocator" in plan.sections:
        results["allocator"] = await allocator_section(plan)
    if "growth" in plan.sections:
        results["growth"] = await growth_section(plan)
    if "soak" in plan.sections:
        results["soak"] = await soak_section(plan, results.get("e2e"))
    results["finished"] = datetime.now(UTC).isoformat()
    results["machine"]["load_average_at_end"] = os.getloadavg()
    results["targets"] = report.targets(results)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--out", type=Path, help="the run's directory (bench/results/<time>)")
    parser.add_argument(
        "--only", help="sections, comma-separated: intake,e2e,allocator,growth,soak"
    )
    parser.add_argument("--large", action="store_true", help="the 1,000,000-order cases too")
    parser.add_argument("--soak", type=float, metavar="MINUTES", help="add a soak this long")
    parser.add_argument("--soak-rate", type=float, help="orders/s in the soak")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--seconds", type=float, help="each closed-loop run")
    parser.add_argument("--rounds", type=int, help="times each closed-loop variant is taken")
    parser.add_argument("--open-rate", type=float, nargs="+", help="open-loop rates, orders/s")
    parser.add_argument("--e2e-rate", type=float, nargs="+", help="e2e rates (else a search)")
    parser.add_argument("--e2e-seconds", type=float, help="each e2e step")
    parser.add_argument(
        "--orders-processes", type=int, nargs="*", help="also measure orders as N processes"
    )
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=None)
    args = parser.parse_args()
    configure_logging("bench", "console", "WARNING")
    plan = make_plan(args)
    results = asyncio.run(run(plan))
    # The figures first: a report that cannot render one of them must not lose them all.
    (plan.out / "suite.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    text = report.render(results)
    print(text)
    (plan.out / "suite.txt").write_text(text + "\n")
    print(f"\nresults, logs and profiles: {plan.out}")


if __name__ == "__main__":
    main()
