"""The national day: every province's hub, its producers and their deliveries, and the nation's
pre-orders, played at many times real speed through the real services; then each hub's day
checked as the founding day's is, and the cost of an order measured over every process.

    .venv/bin/python -m bench.national_day                          # 38 hubs, 500,000 orders
    .venv/bin/python -m bench.national_day --orders 20000 --rate 300
    .venv/bin/python -m bench.national_day --scaling --orders 20000 # 1 hub, then 38: CPU/order

It starts what it needs (a sandbox database and vhost on DATABASE_URL's Postgres and AMQP_URL's
RabbitMQ, the six services as processes, a WhatsApp stub for the notifier), registers the hubs
(bench/provinces.py), their products, one partner per hub and the producers, unmeasured; then
plays the day: deliveries recorded at intake as operators do, orders placed by the hubs'
partners, interleaved on one timeline and paced at `--rate` orders a second (at most
`--in-flight` requests open: past that it goes as fast as the stack answers). It waits for
positive signs that all has settled (every order and lot at the allocator, every unit given
that can be, seen by orders and intake, the outboxes and the notifier's queue empty), checks
every hub (tests/support/allocator_invariants.py: totals, no lot or order over-given, fairness
in every fill, every unit traced to its producer), and prints the CPU per order of the
services, the Postgres backends of the sandbox and the RabbitMQ node, and orders/s kept.
"""

import argparse
import asyncio
import json
import os
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aio_pika
import aiohttp
import asyncpg

from bench.measure import rate_the_cpus_allow
from bench.provinces import Province, chosen
from bench.runners import BackendCpu, StubProcess, broker_pids, cpu_of, pids_of
from shared.events import CLASS_OF_BUYER_TYPE
from tests.support.allocator_invariants import (
    DEFAULT_CAP,
    every_unit_traced,
    lots_of_hubs,
    orders_of_hubs,
    served_in_class_order,
)
from tests.support.stack import Stack
from tools.client import ApiError, HubClient, wait_until
from tools.founding_day import FIRST_NAMES, LAST_NAMES, addressed
from tools.sandbox import sandbox

OPERATOR_TOKEN = "bench-operator-token"
SERVICE_ENV = {"OPERATOR_TOKEN": OPERATOR_TOKEN, "LOG_FORMAT": "json", "LOG_LEVEL": "INFO"}
PRODUCTS = (("masker-kain", "Masker kain 3 lapis", 5000), ("masker-anak", "Masker kain anak", 4000))
# buyer type: (weight, smallest and largest order). All under the default daily cap, and each
# order from a buyer of its own, so that the cap never holds units back and a product's total
# is min(demand, supply).
BUYERS = {
    "individual": (80, 1, 10),
    "business": (6, 10, 50),
    "bank": (2, 20, 80),
    "agency": (6, 20, 100),
    "health_facility": (6, 20, 100),
}
assert DEFAULT_CAP is None or max(top for _, _, top in BUYERS.values()) <= DEFAULT_CAP
SUPPLY_SHARE = 0.8  # of each product's demand the day's deliveries bring: some wait
LOTS_PER_PRODUCER = 2
NOTIFIER_QUEUE = "notifier.events"
BENCH = "national_day"


@dataclass(frozen=True)
class Lot:
    hub: int  # index into the plan's provinces
    producer: int
    sku: str
    quantity: int
    rejected: int


@dataclass(frozen=True)
class OrderPlan:
    hub: int
    sku: str
    quantity: int
    type: str
    name: str
    phone: str


@dataclass
class DayPlan:
    provinces: tuple[Province, ...]
    producers: list[tuple[int, str, str]]  # (hub, name, phone)
    timeline: list[OrderPlan | Lot]  # in the day's order

    @property
    def orders(self) -> list[OrderPlan]:
        return [event for event in self.timeline if isinstance(event, OrderPlan)]

    @property
    def lots(self) -> list[Lot]:
        return [event for event in self.timeline if isinstance(event, Lot)]

    def expected(self) -> dict[tuple[int, str], int]:
        """Per (hub, product): what fifo gives in the end, all the stock or all the demand."""
        demand: dict[tuple[int, str], int] = defaultdict(int)
        supply: dict[tuple[int, str], int] = defaultdict(int)
        for order in self.orders:
            demand[order.hub, order.sku] += order.quantity
        for lot in self.lots:
            supply[lot.hub, lot.sku] += lot.quantity - lot.rejected
        return {key: min(demand[key], supply[key]) for key in demand | supply}


def national_day(orders: int, hubs: int, producers: int | None = None, seed: int = 1945) -> DayPlan:
    """The day, the same for the same arguments. Orders and producers go to the provinces by
    their people (every hub has a producer at least); each producer makes one product and
    brings two lots at random moments of the day; each product's lots bring `SUPPLY_SHARE` of
    its orders' units. `producers` defaults to one per 50 orders (10,000 for 500,000)."""
    rng = random.Random(seed)
    provinces = chosen(hubs)
    weights = [p.people for p in provinces]
    count = max(producers if producers is not None else round(orders / 50), len(provinces))
    at = list(range(len(provinces))) + rng.choices(
        range(len(provinces)), weights, k=count - len(provinces)
    )
    made: list[tuple[int, str]] = []  # each producer's hub and product
    people = []
    for number, hub in enumerate(sorted(at)):
        person = addressed(f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}")
        people.append((hub, person, f"0857{number:08d}"))
        made.append((hub, PRODUCTS[number % len(PRODUCTS)][0]))
    kinds = list(BUYERS)
    order_plans = []
    for number in range(orders):
        kind = rng.choices(kinds, [BUYERS[k][0] for k in kinds])[0]
        _, smallest, largest = BUYERS[kind]
        order_plans.append(
            OrderPlan(
                hub=rng.choices(range(len(provinces)), weights)[0],
                sku=rng.choice(PRODUCTS)[0],
                quantity=rng.randint(smallest, largest),
                type=kind,
                name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                phone=f"0813{number:08d}",  # a buyer of its own: the cap never binds
            )
        )
    demand: dict[tuple[int, str], int] = defaultdict(int)
    for order in order_plans:
        demand[order.hub, order.sku] += order.quantity
    makers: dict[tuple[int, str], list[int]] = defaultdict(list)
    for producer, key in enumerate(made):
        makers[key].append(producer)
    timeline: list[tuple[float, int, OrderPlan | Lot]] = [
        (float(n), n, order) for n, order in enumerate(order_plans)
    ]
    for (hub, sku), producer_ids in makers.items():
        lots = len(producer_ids) * LOTS_PER_PRODUCER
        units = round(SUPPLY_SHARE * demand[hub, sku])
        for n in range(lots):
            accepted = units // lots + (1 if n < units % lots else 0)
            if accepted == 0:
                continue
            rejected = rng.randint(0, max(accepted // 30, 0))
            lot = Lot(hub, producer_ids[n % len(producer_ids)], sku, accepted + rejected, rejected)
            timeline.append((rng.uniform(0, orders), orders + len(timeline), lot))
    timeline.sort(key=lambda entry: (entry[0], entry[1]))
    return DayPlan(provinces, people, [event for _, _, event in timeline])


@dataclass
class Hubs:
    """What registering the plan's hubs answered."""

    suffix: str  # of the hub codes, the idempotency keys' too: new for every day played
    codes: list[str]
    partner_keys: list[str]
    producer_ids: list[str]


async def register(client: HubClient, plan: DayPlan, suffix: str, concurrency: int = 16) -> Hubs:
    """Each province's hub (in its zone), its products, a partner of its own (the province's
    cooperative office's system: the orders' door), and the producers; once the orders service
    has heard of every product."""
    codes = [f"{p.slug}-{suffix}" for p in plan.provinces]
    keys = []
    for province, code in zip(plan.provinces, codes, strict=True):
        await client.create_hub(
            code,
            f"PLUT {province.name}",
            timezone=province.timezone,
            address=f"Dinas Koperasi dan UKM, {province.capital}, {province.name}",
        )
        for sku, name, price in PRODUCTS:
            await client.list_product(code, sku, name, price)
    for province, code in zip(plan.provinces, codes, strict=True):

        async def listed(code: str = code) -> bool:
            return len(await client.catalog(code)) == len(PRODUCTS)

        await wait_until(listed, what=f"catalog of {code} at orders")
        partner = await client.create_partner(
            f"Dinas Koperasi dan UKM {province.name}",
            [code],
            requests_per_minute=100_000,
            buyer_types=sorted(CLASS_OF_BUYER_TYPE),
        )
        keys.append(partner["api_key"])
    gate = asyncio.Semaphore(concurrency)

    async def one(hub: int, name: str, phone: str) -> str:
        async with gate:
            province = plan.provinces[hub]
            producer = await with_retries(
                lambda: client.register_producer(
                    codes[hub], name=name, phone=phone, regency=province.capital
                )
            )
            return producer["id"]

    ids = await asyncio.gather(*(one(*p) for p in plan.producers))
    return Hubs(suffix, codes, keys, list(ids))


async def with_retries(call, tries: int = 5):
    """A call that a busy moment may fail (a dropped connection, a 5xx or 429): again, with the
    same body and idempotency key, a few times."""
    for attempt in range(tries):
        try:
            return await call()
        except (aiohttp.ClientError, TimeoutError):
            if attempt == tries - 1:
                raise
        except ApiError as error:
            if error.status < 500 and error.status != 429 or attempt == tries - 1:
                raise
        await asyncio.sleep(0.2 * 2**attempt)


@dataclass
class Played:
    orders: int = 0
    lots: int = 0
    started: float = 0.0
    placed: float = 0.0  # when the last request was answered
    behind_max: float = 0.0  # how late the client itself started a request, at worst
    order_ids: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))


async def play(
    client: HubClient, plan: DayPlan, hubs: Hubs, *, rate: float, in_flight: int
) -> Played:
    """The timeline, order n due n/rate seconds after the start and each lot at its place
    among them; at most `in_flight` requests open. Every request must succeed."""
    played = Played(started=time.monotonic())
    gate = asyncio.Semaphore(in_flight)
    partners = [client.as_partner(key) for key in hubs.partner_keys]
    tasks = set()
    position = 0

    async def order(event: OrderPlan, number: int) -> None:
        try:
            placed = await with_retries(
                lambda: partners[event.hub].place_order(
                    hubs.codes[event.hub],
                    event.sku,
                    event.quantity,
                    {
                        "name": event.name
                        if event.type == "individual"
                        else f"{event.type.title()} {event.name}",
                        "type": event.type,
                        "region": plan.provinces[event.hub].capital,
                        "phone": event.phone,
                        "language": "id",
                    },
                    idempotency_key=f"national-{hubs.suffix}-{number}",
                )
            )
            played.orders += 1
            played.order_ids[event.hub].append(placed["id"])
        finally:
            gate.release()

    async def lot(event: Lot) -> None:
        try:
            await with_retries(
                lambda: client.record_delivery(
                    hubs.codes[event.hub],
                    hubs.producer_ids[event.producer],
                    event.sku,
                    event.quantity,
                    event.rejected,
                )
            )
            played.lots += 1
        finally:
            gate.release()

    report_every = max(len(plan.timeline) // 20, 1)
    for index, event in enumerate(plan.timeline):
        due = played.started + position / rate
        now = time.monotonic()
        if due > now:
            await asyncio.sleep(due - now)
        else:
            played.behind_max = max(played.behind_max, now - due)
        await gate.acquire()
        if isinstance(event, OrderPlan):
            task = asyncio.create_task(order(event, position))
            position += 1
        else:
            task = asyncio.create_task(lot(event))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        if index % report_every == 0 and index:
            elapsed = time.monotonic() - played.started
            say(f"  {position:,} orders, {played.lots:,} lots sent, {position / elapsed:.0f}/s")
        for done in [t for t in tasks if t.done() and t.exception()]:
            raise done.exception()
    await asyncio.gather(*tasks)
    played.placed = time.monotonic()
    return played


SETTLED = """
SELECT
  (SELECT count(*) FROM allocator.queue WHERE hub = ANY($1::text[])) AS queued,
  (SELECT count(*) FROM allocator.lots WHERE hub = ANY($1::text[])) AS lots,
  (SELECT coalesce(sum(allocated), 0) FROM allocator.queue WHERE hub = ANY($1::text[])) AS given,
  (SELECT coalesce(sum(allocated), 0) FROM orders.orders WHERE hub = ANY($1::text[])) AS heard,
  (SELECT coalesce(sum(sold), 0) FROM intake.deliveries WHERE hub = ANY($1::text[])) AS sold,
  (SELECT count(*) FROM intake.outbox) + (SELECT count(*) FROM orders.outbox)
    + (SELECT count(*) FROM allocator.outbox) + (SELECT count(*) FROM notifier.outbox)
    AS outboxes,
  (SELECT count(*) FROM notifier.messages
   WHERE hub = ANY($1::text[]) AND status = 'pending') AS pending
"""


async def settle(
    conn: asyncpg.Connection,
    amqp_url: str | None,
    codes: list[str],
    played: Played,
    units: int,
    stalled_after: float = 300.0,
) -> dict:
    """Wait for the positive signs that the day has settled, twice in a row a second apart:
    every order and lot at the allocator, `units` given and heard of by orders and intake, the
    outboxes and (with `amqp_url`) the notifier's queue empty, no message pending. Gives up
    only when nothing has moved for `stalled_after` seconds: a guard, not a time limit."""
    wanted = {"queued": played.orders, "lots": played.lots, "given": units, "heard": units}
    wanted |= {"sold": units, "outboxes": 0, "pending": 0}
    channel = None
    if amqp_url is not None:
        amqp = await aio_pika.connect(amqp_url)
        channel = await amqp.channel()
    seen_settled = 0
    last: dict = {}
    moved = time.monotonic()
    try:
        while seen_settled < 2:
            now = dict(await conn.fetchrow(SETTLED, codes))
            if channel is not None:
                queue = await channel.declare_queue(NOTIFIER_QUEUE, passive=True)
                now["notifier queue"] = queue.declaration_result.message_count
                wanted["notifier queue"] = 0
            if now != last:
                moved, last = time.monotonic(), now
            elif time.monotonic() - moved > stalled_after:
                raise TimeoutError(f"the day stopped settling at {last}, not {wanted}")
            seen_settled = seen_settled + 1 if now == wanted else 0
            await asyncio.sleep(1.0)
    finally:
        if channel is not None:
            await amqp.close()
    return last


async def check(conn: asyncpg.Connection, plan: DayPlan, codes: list[str]) -> dict:
    """Every hub's day as the founding day's is checked: per product the units given are
    min(demand, supply); no lot and no order over-given; fairness within each priority class
    in every fill; every unit traced to its lot and producer; the orders service and intake
    agree with the allocator, order by order and lot by lot."""
    expected = {(codes[hub], sku): units for (hub, sku), units in plan.expected().items()}
    lots = await lots_of_hubs(conn, codes)
    orders = await orders_of_hubs(conn, codes)
    given: dict[tuple[str, str], int] = defaultdict(int)
    for order in orders:
        given[order["hub"], order["sku"]] += order["allocated"]
    assert {k: v for k, v in given.items() if v} == {k: v for k, v in expected.items() if v}
    assert sum(lot["given"] for lot in lots) == sum(expected.values())
    assert len(orders) == len(plan.orders) and len(lots) == len(plan.lots)
    disagree = await conn.fetchval(
        """
        SELECT (SELECT count(*) FROM orders.orders AS o
                JOIN allocator.queue AS q ON q.order_id = o.id
                WHERE o.hub = ANY($1::text[]) AND o.allocated <> q.allocated)
             + (SELECT count(*) FROM intake.deliveries AS d
                JOIN allocator.lots AS l ON l.delivery_id = d.id
                WHERE d.hub = ANY($1::text[]) AND d.sold <> l.allocated)
        """,
        codes,
    )
    assert disagree == 0, f"{disagree} orders or lots differ between the services"
    await every_unit_traced(conn, codes)
    short = await served_in_class_order(conn, codes)
    per_hub = defaultdict(lambda: {"orders": 0, "demand": 0, "given": 0})
    for order in orders:
        hub = per_hub[order["hub"]]
        hub["orders"] += 1
        hub["demand"] += order["quantity"]
        hub["given"] += order["allocated"]
    supply: dict[str, int] = defaultdict(int)
    for lot in lots:
        supply[lot["hub"]] += lot["accepted"]
    return {
        "orders": len(orders),
        "lots": len(lots),
        "units_given": sum(expected.values()),
        "orders_left_short": short,
        "hubs": {
            code: {**per_hub[code], "supply": supply[code], "timezone": p.timezone}
            for code, p in zip(codes, plan.provinces, strict=True)
        },
    }


def say(message: str) -> None:
    print(f"{datetime.now(UTC):%H:%M:%S} {message}", flush=True)


async def run_day(
    orders: int,
    hubs: int,
    *,
    rate: float,
    in_flight: int,
    producers: int | None,
    logs: Path,
) -> dict:
    """A fresh system; the day registered unmeasured, then played, settled and checked; CPU of
    every process from the first request to the settled day."""
    plan = national_day(orders, hubs, producers)
    label = f"{hubs}h-{orders}"
    say(
        f"{label}: {len(plan.provinces)} hubs, {len(plan.producers):,} producers, "
        f"{len(plan.orders):,} orders, {len(plan.lots):,} lots at {rate:g} orders/s"
    )
    async with sandbox("plut_bench") as box:
        (logs / label).mkdir(parents=True, exist_ok=True)
        stub = await StubProcess(logs / label / "whatsapp_stub.log").start()
        stack = Stack.plan(
            database_url=box.database_url,
            amqp_url=box.amqp_url,
            log_dir=logs / label,
            extra_env={**SERVICE_ENV, **stub.env},
        )
        # Named, so that its backend is not counted among the services' (BackendCpu).
        conn = await asyncpg.connect(box.database_url, server_settings={"application_name": BENCH})
        try:
            await stack.start()
            async with aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=in_flight)
            ) as session:
                client = HubClient(session, stack.urls(), operator_token=OPERATOR_TOKEN)
                registered = await register(client, plan, suffix=box.name[-6:])
                await settle(conn, box.amqp_url, registered.codes, Played(), 0)
                say(f"{label}: registered; playing the day")
                pids = {name: pids_of([service]) for name, service in stack.services.items()}
                before = {name: cpu_of(p) for name, p in pids.items()}
                broker = broker_pids()
                broker_before, stub_before = cpu_of(broker), cpu_of([stub.pid])
                database = BackendCpu(await asyncpg.connect(box.database_url))
                await database.start()
                played = await play(client, plan, registered, rate=rate, in_flight=in_flight)
            units = sum(plan.expected().values())
            say(f"{label}: {played.orders:,} orders placed; waiting for the day to settle")
            await settle(conn, box.amqp_url, registered.codes, played, units)
            settled = time.monotonic()
            services = {name: cpu_of(p) - before[name] for name, p in pids.items()}
            postgres = await database.used()
            postgres.pop(BENCH, None)
            rabbitmq = cpu_of(broker) - broker_before
            stub_cpu = cpu_of([stub.pid]) - stub_before
            await database.conn.close()
            say(f"{label}: settled; checking every hub")
            checked = await check(conn, plan, registered.codes)
        finally:
            await conn.close()
            stack.stop()
            await stub.stop()
    return figures(plan, played, settled, services, postgres, rabbitmq, stub_cpu, checked, rate)


def figures(plan, played, settled, services, postgres, rabbitmq, stub_cpu, checked, rate) -> dict:
    def ms(seconds: float) -> float:
        return round(1000 * seconds / max(played.orders, 1), 3)

    per_order = {
        **{f"service {name}": ms(s) for name, s in services.items()},
        **{f"postgres for {name}": ms(s) for name, s in postgres.items()},
        "rabbitmq node": ms(rabbitmq),
    }
    total = round(sum(per_order.values()), 3)
    placing = played.placed - played.started
    whole = settled - played.started
    return {
        "hubs": len(plan.provinces),
        "producers": len(plan.producers),
        "orders": played.orders,
        "lots": played.lots,
        "offered_rate": rate,
        "placing_seconds": round(placing, 1),
        "orders_per_second_answered": round(played.orders / placing, 1),
        "settled_seconds": round(whole, 1),
        "orders_per_second_kept": round(played.orders / whole, 1),
        "client_behind_max_seconds": round(played.behind_max, 2),
        "cpu_ms_per_order": per_order,
        "cpu_ms_per_order_total": total,
        "whatsapp_stub_cpu_ms_per_order": ms(stub_cpu),
        "orders_per_second_the_cpus_allow": rate_the_cpus_allow([total], os.cpu_count() or 1),
        "checked": checked,
    }


def table(result: dict) -> str:
    lines = [
        f"{result['hubs']} hubs, {result['producers']:,} producers, {result['orders']:,} orders,"
        f" {result['lots']:,} lots, offered {result['offered_rate']:g}/s",
        f"  answered {result['orders_per_second_answered']:,}/s over"
        f" {result['placing_seconds']:,} s; settled after {result['settled_seconds']:,} s:"
        f" {result['orders_per_second_kept']:,} orders/s kept",
        f"  CPU ms per order, all processes: {result['cpu_ms_per_order_total']}"
        f" (the CPUs allow {result['orders_per_second_the_cpus_allow']}/s)",
    ]
    for name, value in sorted(result["cpu_ms_per_order"].items(), key=lambda kv: -kv[1]):
        if value >= 0.01:
            lines.append(f"    {name:<28} {value:>8.3f}")
    checked = result["checked"]
    lines.append(
        f"  checked: {checked['units_given']:,} units given, {checked['orders_left_short']:,}"
        f" orders left short, every hub fair and traced"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=500_000)
    parser.add_argument("--hubs", type=int, default=38)
    parser.add_argument("--producers", type=int, help="default: one per 50 orders")
    parser.add_argument("--rate", type=float, default=300.0, help="orders offered a second")
    parser.add_argument("--in-flight", type=int, default=64, help="requests open at most")
    parser.add_argument(
        "--scaling", action="store_true", help="the same orders on 1 hub, then on --hubs hubs"
    )
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    out = Path("bench/results") / f"national-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    out.mkdir(parents=True, exist_ok=True)

    async def run() -> dict:
        common = {"rate": args.rate, "in_flight": args.in_flight, "producers": args.producers}
        if not args.scaling:
            return await run_day(args.orders, args.hubs, logs=out / "logs", **common)
        one = await run_day(args.orders, 1, logs=out / "logs", **common)
        print(table(one), flush=True)
        many = await run_day(args.orders, args.hubs, logs=out / "logs", **common)
        return {
            "one_hub": one,
            "many_hubs": many,
            "cpu_ms_per_order_ratio": round(
                many["cpu_ms_per_order_total"] / one["cpu_ms_per_order_total"], 3
            ),
        }

    result = asyncio.run(run())
    if args.scaling:
        print(table(result["many_hubs"]))
        print(
            f"CPU ms per order: 1 hub {result['one_hub']['cpu_ms_per_order_total']},"
            f" {args.hubs} hubs {result['many_hubs']['cpu_ms_per_order_total']};"
            f" ratio {result['cpu_ms_per_order_ratio']}"
        )
    else:
        print(table(result))
    text = json.dumps(result, indent=2)
    (out / "national_day.json").write_text(text)
    if args.json:
        args.json.write_text(text)
    say(f"written to {out / 'national_day.json'}")


if __name__ == "__main__":
    main()
