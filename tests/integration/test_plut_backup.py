"""`plut backup` and `plut restore` as an operator runs them: the services write a day's data and
stop, the database is backed up, restored into a fresh database and found equal, table by table
and row by row. A restore refuses a database that is not empty (unless --force), a dump that is
not the one its manifest describes, and a manifest that points anywhere but at a file beside it.
"""

import asyncio
import json
import os
import shutil
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from yarl import URL

from tests.support.mailbox import Mailbox
from tests.support.provider_stubs import SmsGatewayStub, WhatsAppCloudStub
from tests.support.stack import Stack
from tests.support.stack_env import OPERATOR_TOKEN, stack_env
from tools.backup import TABLES
from tools.client import HubClient, new_hub_code, wait_until
from tools.sandbox import base_urls, sandbox

SERVICE_SCHEMAS = {"intake", "orders", "allocator", "notifier", "console", "storefront"}


async def plut(*arguments: str, database_url: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tools.plut", *arguments,
        env={**os.environ, "DATABASE_URL": database_url, "COLUMNS": "200"},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    return process.returncode, output.decode()


@dataclass(frozen=True)
class Written:
    database_url: str
    while_ordering: Path  # the manifest of a backup taken while orders were being placed


@pytest.fixture(scope="module")
async def written(tmp_path_factory) -> AsyncIterator[Written]:
    """A database the services wrote a hub's day into, then stopped: nothing changes it after.
    Before they stopped, it was backed up while orders were being placed."""
    mailbox = Mailbox()
    mailbox.start()
    whatsapp = await WhatsAppCloudStub().start()
    sms = await SmsGatewayStub().start()
    try:
        async with sandbox("plut_backup") as box:
            stack = Stack.plan(
                database_url=box.database_url,
                amqp_url=box.amqp_url,
                log_dir=tmp_path_factory.mktemp("backup-service-logs"),
                extra_env=stack_env(mailbox, whatsapp, sms),
            )
            try:
                await stack.start()
                await _a_day(stack)
                while_ordering = await _backup_while_ordering(
                    stack, box.database_url, tmp_path_factory.mktemp("while-ordering")
                )
            finally:
                stack.stop()
            yield Written(box.database_url, while_ordering)
    finally:
        await whatsapp.stop()
        await sms.stop()
        mailbox.stop()


async def _a_day(stack: Stack) -> None:
    async with aiohttp.ClientSession() as session:
        client = HubClient(session, stack.urls(), operator_token=OPERATOR_TOKEN)
        hub = new_hub_code("cadangan")
        await client.open_hub(hub)
        producer = await client.register_producer(
            hub, name="Ibu Sari", phone="081200000003", regency="Kapuas"
        )
        orders = [
            await client.place_order(
                hub,
                "masker-kain",
                2,
                {
                    "name": f"Pembeli {n}",
                    "type": "individual",
                    "region": "Sampit",
                    "email": f"b{n}@contoh.co.id",
                },
            )  # fmt: skip
            for n in range(4)
        ]
        await client.record_delivery(hub, producer["id"], "masker-kain", 5)

        async def settled() -> bool:
            got = [(await client.order(order["id"]))["allocated"] for order in orders]
            return got == [2, 2, 1, 0]

        await wait_until(settled, what="the delivery's units allocated and heard of by orders")


async def _backup_while_ordering(stack: Stack, database_url: str, out: Path) -> Path:
    """`plut backup` with orders placed before, during and after it."""
    placed = 0
    stopping = asyncio.Event()
    async with aiohttp.ClientSession() as session:
        client = HubClient(session, stack.urls(), operator_token=OPERATOR_TOKEN)
        hub = new_hub_code("sibuk")
        await client.open_hub(hub)

        async def ordering() -> None:
            nonlocal placed
            while not stopping.is_set():
                buyer = {"name": f"Pembeli {placed}", "type": "individual", "region": "Sampit"}
                await client.place_order(hub, "masker-kain", 1, buyer)
                placed += 1

        orders = asyncio.create_task(ordering())
        try:
            await wait_until(lambda: asyncio.sleep(0, placed >= 3), what="orders before")
            code, output = await plut("backup", "--out", str(out), database_url=database_url)
            assert code == 0, output
            after = placed
            await wait_until(lambda: asyncio.sleep(0, placed >= after + 3), what="orders after")
        finally:
            stopping.set()
            await orders
    return Path(output.strip().splitlines()[-1])


@pytest.fixture(scope="module")
async def backed_up(written: Written, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("backups")
    code, output = await plut("backup", "--out", str(out), database_url=written.database_url)
    assert code == 0, output
    return Path(output.strip().splitlines()[-1])


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    admin = base_urls()[0]
    name = f"plut_restored_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield str(URL(admin).with_path(f"/{name}"))
    finally:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def contents(database_url: str) -> dict[str, tuple[int, str]]:
    """Every table's rows: how many, and a digest of all of them in order."""
    conn = await asyncpg.connect(database_url)
    try:
        found = {}
        for row in await conn.fetch(TABLES):
            table = f'"{row["schema"]}"."{row["name"]}"'
            found[f"{row['schema']}.{row['name']}"] = tuple(
                await conn.fetchrow(
                    f"SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)),"
                    f" '') FROM {table} AS t"
                )
            )
        return found
    finally:
        await conn.close()


def copied(backed_up: Path, into: Path) -> Path:
    """The backup's two files in a directory of the test's own, to change them there."""
    manifest = json.loads(backed_up.read_text())
    into.mkdir(exist_ok=True)
    shutil.copy(backed_up.parent / manifest["dump"]["file"], into / manifest["dump"]["file"])
    shutil.copy(backed_up, into / backed_up.name)
    return into / backed_up.name


async def refused(manifest: Path, because: str) -> None:
    """`plut restore` of the manifest into a fresh database: refused, saying `because`, and the
    database left empty."""
    async with fresh_database() as target:
        code, output = await plut("restore", str(manifest), database_url=target)
        assert code == 1 and because in output, output
        assert await contents(target) == {}


async def test_the_manifest_says_what_the_backup_holds(backed_up: Path, written: Written):
    manifest = json.loads(backed_up.read_text())
    assert manifest["format"] == "plut-backup" and manifest["format_version"] == 1
    assert SERVICE_SCHEMAS <= set(manifest["schemas"])
    assert "0001_init" in manifest["schemas"]["orders"]["migrations"]
    counts = {
        f"{schema}.{table}": rows
        for schema, content in manifest["schemas"].items()
        for table, rows in content["tables"].items()
    }
    assert counts == {
        table: rows for table, (rows, _) in (await contents(written.database_url)).items()
    }
    assert counts["intake.deliveries"] == 1 and counts["orders.orders"] > 4  # the day's and more
    dump = backed_up.parent / manifest["dump"]["file"]
    assert dump.stat().st_size == manifest["dump"]["bytes"]


async def test_restored_into_a_fresh_database_every_row_is_there(backed_up, written):
    async with fresh_database() as target:
        code, output = await plut("restore", str(backed_up), database_url=target)
        assert code == 0, output
        assert await contents(target) == await contents(written.database_url)
        # Again into what is now not empty: refused, and nothing changed...
        code, output = await plut("restore", str(backed_up), database_url=target)
        assert code == 1 and "not empty" in output, output
        assert await contents(target) == await contents(written.database_url)
        # ... unless forced: what it held replaced by the backup.
        conn = await asyncpg.connect(target)
        try:
            await conn.execute("UPDATE orders.orders SET quantity = quantity + 1")
            await conn.execute("CREATE TABLE public.leftover (x int)")
        finally:
            await conn.close()
        code, output = await plut("restore", "--force", str(backed_up), database_url=target)
        assert code == 0, output
        assert await contents(target) == await contents(written.database_url)


async def test_a_non_empty_database_is_refused_and_left_alone(backed_up, written):
    before = await contents(written.database_url)
    code, output = await plut("restore", str(backed_up), database_url=written.database_url)
    assert code == 1 and "not empty" in output and "orders" in output, output
    assert await contents(written.database_url) == before


async def test_a_changed_dump_is_refused_before_anything_is_written(backed_up, tmp_path):
    manifest = copied(backed_up, tmp_path / "changed")
    dump = manifest.parent / json.loads(manifest.read_text())["dump"]["file"]
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))
    await refused(manifest, "sha256")


@pytest.mark.parametrize(
    "dump_file",
    ["../outside.dump", "/etc/passwd", "sub/plut.dump", "..", "plut.dump\n", "plut.sql", ""],
)
async def test_a_manifest_naming_a_path_is_refused(backed_up, tmp_path, dump_file):
    manifest = copied(backed_up, tmp_path / "hostile")
    shutil.copy(manifest.parent / json.loads(manifest.read_text())["dump"]["file"],
                tmp_path / "outside.dump")  # fmt: skip
    body = json.loads(manifest.read_text())
    body["dump"]["file"] = dump_file
    manifest.write_text(json.dumps(body))
    await refused(manifest, "dump.file")


async def test_a_dump_that_is_a_link_elsewhere_is_refused(backed_up, tmp_path):
    manifest = copied(backed_up, tmp_path / "linked")
    dump = manifest.parent / json.loads(manifest.read_text())["dump"]["file"]
    elsewhere = tmp_path / "elsewhere.dump"
    dump.rename(elsewhere)
    dump.symlink_to(elsewhere)
    await refused(manifest, "symbolic link")


@pytest.mark.parametrize(
    "change",
    [
        {"schemas": {'orders"; DROP TABLE x; --': {"migrations": [], "tables": {}}}},
        {"schemas": {"orders": {"migrations": [], "tables": {"a' || pg_sleep(1) || '": 1}}}},
        {"format": "something-else"},
        {"dump": {"file": "x.dump", "bytes": 1, "sha256": "not hex"}},
        {"extra": "field"},
    ],
)
async def test_a_manifest_that_is_not_one_is_refused(backed_up, tmp_path, change):
    manifest = copied(backed_up, tmp_path / "forged")
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), **change}))
    await refused(manifest, "not a plut backup manifest")


async def test_a_file_that_is_not_a_manifest_is_refused(tmp_path):
    (tmp_path / "plut.json").write_bytes(b"\x00\xff not json")
    code, output = await plut("restore", str(tmp_path / "plut.json"), database_url="postgresql://x")
    assert code == 1 and "not a plut backup manifest" in output, output
    code, output = await plut("restore", str(tmp_path), database_url="postgresql://x")
    assert code == 1 and ("not a file" in output or "cannot read" in output), output


async def test_a_restore_that_does_not_match_its_manifest_leaves_nothing(backed_up, tmp_path):
    """The dump is the manifest's, but the manifest counts a row more than it holds: the whole
    restore is one transaction, and the check at its end takes it all back."""
    manifest = copied(backed_up, tmp_path / "miscounted")
    body = json.loads(manifest.read_text())
    held = body["schemas"]["orders"]["tables"]["orders"]
    body["schemas"]["orders"]["tables"]["orders"] = held + 1
    manifest.write_text(json.dumps(body))
    await refused(manifest, f"orders.orders has {held} rows, its manifest {held + 1}")


async def test_a_backup_taken_while_orders_are_placed_is_of_one_moment(written: Written):
    """Orders went in before, during and after the backup: the restore's own check (every
    table's rows as the manifest counted them) holds, so the dump and the counts are of the
    same snapshot, across every schema."""
    manifest = json.loads(written.while_ordering.read_text())
    async with fresh_database() as target:
        code, output = await plut("restore", str(written.while_ordering), database_url=target)
        assert code == 0, output
        restored = await contents(target)
    final = await contents(written.database_url)
    orders = manifest["schemas"]["orders"]["tables"]["orders"]
    assert restored["orders.orders"][0] == orders < final["orders.orders"][0]


async def test_a_backup_needs_a_directory_and_a_database(tmp_path):
    code, output = await plut(
        "backup", "--out", str(tmp_path / "missing"), database_url="postgresql://x"
    )
    assert code == 1 and "is not a directory" in output, output
    unreachable = "postgresql://postgres@127.0.0.1:1/plut"
    code, output = await plut("backup", "--out", str(tmp_path), database_url=unreachable)
    assert code == 1 and "cannot reach the database" in output, output
    assert list(tmp_path.iterdir()) == []  # nothing half-written
