"""plut: the centre's command line, for what a script or an administrator does without the
console: operator accounts, partners, demo data, played days, and the console's reports.

    plut operator create --username ana --name "Ana" --role admin  # asks the password
    plut partner create --name "Toko Online" --hubs kalteng,kalsel  # prints the key, once
    plut seed --hub DEMO
    plut play founding
    plut play generated --orders 1000 --producers 50 --rate 100
    plut export payouts --hub kalteng --from 2026-11-01 --to 2026-11-28 --out pembayaran.xlsx
    plut backup --out /backups          # the whole database: a dump and its manifest
    plut restore /backups/plut-20261205T210000Z.json   # into an empty database

The services are found by --intake/--orders/--allocator/--notifier/--console or INTAKE_URL,
ORDERS_URL, ...; else on 127.0.0.1 at INTAKE_PORT, ORDERS_PORT, ... (where docker-compose.yml
publishes them), else 8081-8085. Changes are an operator's: OPERATOR_TOKEN or
--operator-token; reports are the console's files, fetched with that token. `operator create`
writes the console's own schema in DATABASE_URL (there is no operator yet to ask it of);
`backup` and `restore` work on DATABASE_URL's database directly (tools/backup.py).
"""

import argparse
import asyncio
import getpass
import os
import random
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from shared.fields import HubCode
from tools import backup as backups
from tools import founding_day
from tools import restore as restores
from tools.backup_manifest import BackupRefused
from tools.client import FOUNDING_HUB_DETAILS, ApiError, HubClient, new_hub_code, wait_until
from tools.local_services import service_url

terminal = Console()  # where plut writes; "console" is the operators' web service
SERVICES = ("intake", "orders", "allocator", "notifier", "console")
# The console's exports and how it is told the hub and language a browser chose.
EXPORT_PATHS = {
    "day": "/laporan/hari",
    "payouts": "/laporan/pembayaran",
    "queue": "/laporan/antrean",
}
HUB_COOKIE, LANGUAGE_COOKIE = "plut_hub", "plut_lang"


class Refused(Exception):
    """What the command could not do, said plainly (exit status 1, no traceback)."""


# operator


async def create_operator(args: argparse.Namespace) -> None:
    import asyncpg

    from services.console import accounts

    database_url = args.database_url or os.environ.get("DATABASE_URL")
    if not database_url:
        raise Refused("DATABASE_URL (or --database-url) names the console's database")
    password = os.environ.get("PLUT_PASSWORD") or _ask_password()
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "console"})
    try:
        operator = await accounts.create(
            conn,
            username=args.username,
            name=args.name,
            role=accounts.Role[args.role],
            password=password,
        )
    except accounts.UsernameTaken:
        raise Refused(f"username {args.username!r} is taken") from None
    except accounts.PasswordTooShort:
        raise Refused(f"the password needs {accounts.MIN_PASSWORD_LENGTH} characters") from None
    except asyncpg.UndefinedTableError:
        raise Refused("no console schema in that database: start the console once first") from None
    finally:
        await conn.close()
    terminal.print(f"operator [bold]{operator.username}[/] ({operator.role.name}) created")


def _ask_password() -> str:
    if not sys.stdin.isatty():
        raise Refused("no terminal to ask the password on: set PLUT_PASSWORD")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise Refused("the two passwords differ")
    return first


# partner


async def create_partner(client: HubClient, args: argparse.Namespace) -> None:
    fields: dict[str, Any] = {}
    if args.buyer_types:
        fields["buyer_types"] = _listed(args.buyer_types)
    if args.scopes:
        fields["scopes"] = _listed(args.scopes)
    if args.requests_per_minute:
        fields["requests_per_minute"] = args.requests_per_minute
    made = await client.create_partner(args.name, _listed(args.hubs), **fields)
    terminal.print(f"partner [bold]{made.get('name', args.name)}[/] {made.get('id', '')}")
    terminal.print("API key (shown only now, keep it safe):")
    # Plain print: a script captures exactly the key, with no colour codes around it.
    print(made["api_key"])


def _listed(comma_separated: str) -> list[str]:
    return [item.strip() for item in comma_separated.split(",") if item.strip()]


# seed


DEMO_PRODUCTS = (
    ("masker-kain", "Masker kain 3 lapis", 5000),
    ("hand-sanitizer", "Hand sanitizer 100 ml", 12000),
)


async def seed(client: HubClient, args: argparse.Namespace) -> None:
    """A hub with two products, a dozen producers, their deliveries and some orders."""
    hub = args.hub or new_hub_code("demo")
    scenario = founding_day.founding_day(seed=7, producers=12, buyers=20)
    # With where and when to collect, so the buyers' site offers it (its key allowed).
    await client.create_hub(hub, f"PLUT {hub} (demo)", **FOUNDING_HUB_DETAILS)
    for sku, name, price in DEMO_PRODUCTS:
        await client.list_product(hub, sku, name, price)
    await wait_until(lambda: client.catalog(hub), what=f"catalog of {hub} at orders")
    producers = [
        await client.register_producer(hub, name=p.name, phone=p.phone, regency=p.regency)
        for p in scenario.producers
    ]
    for index, buyer in enumerate(scenario.buyers):
        sku = DEMO_PRODUCTS[index % 2][0]
        body = {"name": buyer.name, "type": buyer.type, "region": buyer.region,
                "phone": buyer.phone}  # fmt: skip
        await client.place_order(hub, sku, buyer.quantity, body)
    for index, (producer, plan) in enumerate(zip(producers, scenario.producers, strict=True)):
        sku = DEMO_PRODUCTS[index % 2][0]
        await client.record_delivery(hub, producer["id"], sku, plan.delivered, plan.rejected)
    table = Table(title=f"demo hub {hub}")
    for column in ("products", "producers", "deliveries", "orders"):
        table.add_column(column, justify="right")
    table.add_row(*(str(n) for n in (len(DEMO_PRODUCTS), len(producers), len(producers),
                                     len(scenario.buyers))))  # fmt: skip
    terminal.print(table)


# play


async def play_founding(client: HubClient, args: argparse.Namespace) -> None:
    scenario = founding_day.founding_day(args.seed)
    outcome = await founding_day.play(client, args.hub or new_hub_code("kalteng"), scenario)
    print(founding_day.report(scenario, outcome))


@dataclass
class Summary:
    hub: str
    placed: int = 0
    # Each order counts in one of these three.
    served_in_full: int = 0
    served_in_part: int = 0
    served_nothing: int = 0
    units_ordered: int = 0
    units_supplied: int = 0
    units_allocated: int = 0
    seconds: float = 0.0
    ordering_seconds: float = 0.0  # placing the orders alone: what orders/s is over


async def _paced(
    count: int, rate: float, act: Callable[[int], Awaitable[None]], advance: Callable[[], None]
) -> None:
    """`act(i)` for i < count, started `rate` per second (0: as fast as the services take
    them), at most 32 at once."""
    gate = asyncio.Semaphore(32)
    started = time.monotonic()

    async def one(index: int) -> None:
        try:
            await act(index)
        finally:
            gate.release()
            advance()

    tasks = []
    for index in range(count):
        if rate > 0:
            await asyncio.sleep(max(0.0, started + index / rate - time.monotonic()))
        await gate.acquire()
        tasks.append(asyncio.create_task(one(index)))
    await asyncio.gather(*tasks)


async def play_generated(client: HubClient, args: argparse.Namespace) -> Summary:
    """A day at the chosen scale: M producers, N orders placed at R a second, then deliveries
    of about `supply` of the demand, until the allocator has given it all out."""
    rng = random.Random(args.seed)
    hub = args.hub or new_hub_code("gen")
    sku = founding_day.SKU
    summary = Summary(hub)
    started = time.monotonic()
    await client.open_hub(hub, sku)
    quantities = [rng.randint(1, 20) for _ in range(args.orders)]
    kinds = list(founding_day.BUYER_KINDS)
    placed: list[str | None] = [None] * args.orders
    producers: list[dict] = [{}] * args.producers
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=terminal,
    ) as progress:  # fmt: skip
        registering = progress.add_task("producers", total=args.producers)

        async def register(index: int) -> None:
            producers[index] = await client.register_producer(
                hub,
                name=f"Produsen {index + 1}",
                phone="0813" + f"{rng.randrange(10**8):08d}",
                regency=rng.choice(founding_day.REGENCIES),
            )

        await _paced(args.producers, 0, register, lambda: progress.advance(registering))
        ordering = progress.add_task("orders", total=args.orders)

        async def order(index: int) -> None:
            buyer = {
                "name": f"Pembeli {index + 1}",
                "type": kinds[index % len(kinds)],
                "region": rng.choice(founding_day.BUYER_REGIONS),
                "phone": "0812" + f"{rng.randrange(10**8):08d}",
            }
            made = await client.place_order(
                hub, sku, quantities[index], buyer, idempotency_key=f"{hub}-{index}"
            )
            placed[index] = made["id"]

        ordering_started = time.monotonic()
        await _paced(args.orders, args.rate, order, lambda: progress.advance(ordering))
        summary.ordering_seconds = time.monotonic() - ordering_started
        summary.placed = sum(1 for order_id in placed if order_id)
        summary.units_ordered = sum(quantities)
        supply = max(args.producers, int(summary.units_ordered * args.supply))
        each = [supply // args.producers + (i < supply % args.producers)
                for i in range(args.producers)]  # fmt: skip
        delivering = progress.add_task("deliveries", total=args.producers)

        async def deliver(index: int) -> None:
            if each[index]:
                await client.record_delivery(hub, producers[index]["id"], sku, each[index])

        await _paced(args.producers, 0, deliver, lambda: progress.advance(delivering))
        summary.units_supplied = sum(each)
        settling = progress.add_task("allocating", total=min(supply, summary.units_ordered))

        async def given_out() -> bool:
            stock = await client.stock(hub, sku)
            progress.update(settling, completed=stock["allocated"])
            return stock["received"] == supply and (
                stock["available"] == 0 or (await client.queue(hub, sku, 1))["waiting"] == 0
            )

        await wait_until(given_out, what="the allocator to give the supply out", timeout=600)
    # The orders service hears of allocations by events, a moment after the allocator.
    ids = [order_id for order_id in placed if order_id]

    async def heard() -> list[dict] | None:
        orders = await _orders(client, ids)
        stock = await client.stock(hub, sku)
        return orders if sum(o["allocated"] for o in orders) == stock["allocated"] else None

    orders = await wait_until(heard, what="the orders to show their allocations", timeout=600,
                              interval=1.0)  # fmt: skip
    summary.served_in_full = sum(1 for o in orders if o["allocated"] == o["quantity"])
    summary.served_nothing = sum(1 for o in orders if o["allocated"] == 0)
    summary.served_in_part = len(orders) - summary.served_in_full - summary.served_nothing
    summary.units_allocated = sum(o["allocated"] for o in orders)
    summary.seconds = time.monotonic() - started
    terminal.print(_summary_table(summary))
    return summary


async def _orders(client: HubClient, ids: list[str]) -> list[dict]:
    """The orders, read a hundred at a time (the most one look-up takes)."""
    gate = asyncio.Semaphore(4)

    async def batch(start: int) -> list[dict]:
        query = urlencode([("id", order_id) for order_id in ids[start : start + 100]])
        async with gate:
            found = await client.call(
                "orders", "GET", f"/v1/orders?{query}", headers=client.as_operator()
            )
        return found["orders"]

    batches = await asyncio.gather(*(batch(start) for start in range(0, len(ids), 100)))
    return [order for orders in batches for order in orders]


def _summary_table(summary: Summary) -> Table:
    table = Table(title=f"Hari buatan di hub / generated day at hub {summary.hub}")
    table.add_column("")
    table.add_column("", justify="right")
    rate = summary.placed / summary.ordering_seconds if summary.ordering_seconds else 0.0
    for label, value in (
        ("pesanan dibuat / orders placed", summary.placed),
        ("terlayani penuh / served in full", summary.served_in_full),
        ("terlayani sebagian / served in part", summary.served_in_part),
        ("belum dapat / nothing yet", summary.served_nothing),
        ("unit dipesan / units ordered", summary.units_ordered),
        ("unit dipasok / units supplied", summary.units_supplied),
        ("unit dibagikan / units allocated", summary.units_allocated),
        ("waktu / time (s)", f"{summary.seconds:.1f}"),
        ("pesanan per detik / orders/s (placing)", f"{rate:.1f}"),
    ):
        table.add_row(label, str(value))
    return table


# export


def _export_query(args: argparse.Namespace) -> dict[str, str]:
    if args.report == "day":
        return {"tanggal": (args.date or date.today()).isoformat()}
    if args.report == "payouts":
        if not (args.start and args.end):
            raise Refused("payouts need --from and --to")
        return {"dari": args.start.isoformat(), "sampai": args.end.isoformat()}
    if not args.sku:
        raise Refused("the queue needs --sku")
    return {"produk": args.sku}


async def export(client: HubClient, args: argparse.Namespace) -> None:
    """The console's file, as an operator downloads it from its reports page."""
    url = client.urls["console"] + EXPORT_PATHS[args.report]
    query = {**_export_query(args), "format": args.format}
    cookies = {HUB_COOKIE: args.hub, LANGUAGE_COOKIE: args.language}
    async with client.session.get(
        url, params=query, headers=client.as_operator(), cookies=cookies
    ) as response:
        if response.status >= 400:
            raise ApiError("GET", url, response.status, await response.json(content_type=None))
        body = await response.read()
    Path(args.out).write_bytes(body)
    terminal.print(f"{args.out}: {len(body):,} bytes")


# backup


def _database_url(args: argparse.Namespace) -> str:
    database_url = args.database_url or os.environ.get("DATABASE_URL")
    if not database_url:
        raise Refused("DATABASE_URL (or --database-url) names the database")
    return database_url


async def backup(args: argparse.Namespace) -> None:
    manifest = await backups.backup(_database_url(args), Path(args.out))
    terminal.print(f"cadangan / backup: {manifest.with_suffix('.dump')}")
    # Plain print: a script captures exactly the manifest's path.
    print(manifest)


async def restore(args: argparse.Namespace) -> None:
    manifest = await restores.restore(_database_url(args), Path(args.manifest), force=args.force)
    terminal.print(
        f"dipulihkan / restored: {manifest.table_count} tables, {manifest.rows} rows of "
        f"{', '.join(manifest.schemas)}, backed up {manifest.created_at:%Y-%m-%d %H:%M:%S %Z} "
        f"(plut {manifest.plut_version}, Postgres {manifest.server_version})"
    )


# wiring


def _hub_code(value: str) -> str:
    """A hub's code as the console takes it (it would open its own hub for anything else)."""
    try:
        return TypeAdapter(HubCode).validate_python(value)
    except ValidationError:
        raise argparse.ArgumentTypeError(f"{value!r} is no hub's code") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="plut", description=__doc__.split("\n\n")[0])
    for name in SERVICES:
        env = f"{name.upper()}_URL"
        parser.add_argument(
            f"--{name}",
            # Its own dest: `play generated --orders N` is a count, not this URL.
            dest=f"{name}_url",
            default=service_url(name),
            help=f"the {name} service (default: {env}, else 127.0.0.1:{name.upper()}_PORT)",
        )
    parser.add_argument("--operator-token", default=os.environ.get("OPERATOR_TOKEN"))
    commands = parser.add_subparsers(dest="command", required=True)

    operator = commands.add_parser("operator", help="console accounts").add_subparsers(
        dest="action", required=True
    )
    create = operator.add_parser("create", help="a console operator")
    create.add_argument("--username", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=("admin", "staff", "viewer"), required=True)
    create.add_argument("--database-url", help="default: DATABASE_URL")

    partner = commands.add_parser("partner", help="partners of the orders API").add_subparsers(
        dest="action", required=True
    )
    new_partner = partner.add_parser("create", help="a partner and its first key")
    new_partner.add_argument("--name", required=True)
    new_partner.add_argument("--hubs", required=True, help="hub codes, comma-separated")
    new_partner.add_argument(
        "--buyer-types",
        help="buyer types its orders may declare, comma-separated (default: the public's: "
        "bank, business, individual)",
    )
    new_partner.add_argument(
        "--scopes",
        help="what its key may do, comma-separated (default: orders:write,orders:read; the "
        "centre's own site and chat also orders:track, to open any order by its code, and "
        "orders:cancel-verified, to cancel for the buyer whose phone they checked; "
        "programmes:apply applies to free-mask programmes for recipients)",
    )
    new_partner.add_argument("--requests-per-minute", type=int, help="its rate (default 600)")

    seed_command = commands.add_parser("seed", help="a demo hub with data")
    seed_command.add_argument("--hub", help="its code (default: a new demo-... code)")

    play = commands.add_parser("play", help="play a day").add_subparsers(
        dest="action", required=True
    )
    founding = play.add_parser("founding", help="the founding day (tools/founding_day.py)")
    founding.add_argument("--hub")
    founding.add_argument("--seed", type=int, default=2020)
    generated = play.add_parser("generated", help="a generated day at a chosen scale")
    generated.add_argument("--hub")
    generated.add_argument("--orders", type=int, default=1000)
    generated.add_argument("--producers", type=int, default=50)
    generated.add_argument("--rate", type=float, default=0, help="orders a second (0: no limit)")
    generated.add_argument("--supply", type=float, default=0.7, help="supply as a share of demand")
    generated.add_argument("--seed", type=int, default=1)

    backing_up = commands.add_parser("backup", help="the whole database, to a dump and manifest")
    backing_up.add_argument("--database-url", help="default: DATABASE_URL")
    backing_up.add_argument(
        "--out",
        default=os.environ.get("PLUT_BACKUP_DIR", "."),
        help="the directory it goes in (default: PLUT_BACKUP_DIR, else here)",
    )
    restoring = commands.add_parser("restore", help="a backup, into an empty database")
    restoring.add_argument("manifest", help="the backup's manifest (plut-<time>.json)")
    restoring.add_argument("--database-url", help="default: DATABASE_URL")
    restoring.add_argument(
        "--force", action="store_true", help="replace what the database holds (else refused)"
    )

    exporting = commands.add_parser("export", help="a report, as the console gives it")
    exporting.add_argument("report", choices=("day", "payouts", "queue"))
    exporting.add_argument("--hub", required=True, type=_hub_code)
    exporting.add_argument("--date", type=date.fromisoformat, help="day: the day (today)")
    exporting.add_argument("--from", dest="start", type=date.fromisoformat, help="payouts")
    exporting.add_argument("--to", dest="end", type=date.fromisoformat, help="payouts")
    exporting.add_argument("--sku", help="queue: the product")
    exporting.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    exporting.add_argument("--language", choices=("id", "en"), default="id")
    exporting.add_argument("--out", required=True)
    return parser


async def _with_client(args: argparse.Namespace) -> None:
    async with aiohttp.ClientSession() as session:
        urls = {name: getattr(args, f"{name}_url").rstrip("/") for name in SERVICES}
        client = HubClient(session, urls, operator_token=args.operator_token)
        if args.command == "partner":
            await create_partner(client, args)
        elif args.command == "seed":
            await seed(client, args)
        elif args.command == "play" and args.action == "founding":
            await play_founding(client, args)
        elif args.command == "play":
            await play_generated(client, args)
        else:
            await export(client, args)


async def _run(args: argparse.Namespace) -> None:
    direct = {"operator": create_operator, "backup": backup, "restore": restore}
    await (direct[args.command](args) if args.command in direct else _with_client(args))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    needs_token = args.command in ("partner", "seed", "play", "export")
    if needs_token and not args.operator_token:
        terminal.print("[red]set OPERATOR_TOKEN or pass --operator-token[/]")
        return 2
    if (
        args.command == "play"
        and args.action == "generated"
        and min(args.orders, args.producers) < 1
    ):
        terminal.print("[red]--orders and --producers must be at least 1[/]")
        return 2
    try:
        asyncio.run(_run(args))
    except (Refused, BackupRefused) as refused:
        terminal.print(f"[red]{refused}[/]")
        return 1
    except ApiError as error:
        terminal.print(f"[red]the service refused: {error.status} {error.body}[/]")
        return 1
    except aiohttp.ClientConnectionError as error:
        terminal.print(f"[red]cannot reach a service: {error}[/]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
