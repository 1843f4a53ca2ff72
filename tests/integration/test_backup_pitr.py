"""Point-in-time recovery as the README has operators do it: a cluster of the test's own archives
its WAL (ops/postgres/archive-wal), the services write orders into it, a base backup is taken
(base-backup), more orders, a moment (a restore point, and the time just after it), more orders
after the moment; then the base backup and the archive are restored into a new cluster
(restore-to) to that moment, and the services started on it serve exactly the orders placed
before it.

The machine's own Postgres is not used at all; RabbitMQ's vhosts are the test's own.
"""

import re
import tarfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from tests.support.archiving import ArchivingPostgres, RestoredPostgres, prune
from tests.support.mailbox import Mailbox
from tests.support.provider_stubs import SmsGatewayStub, WhatsAppCloudStub
from tests.support.stack import Stack
from tests.support.stack_env import OPERATOR_TOKEN, stack_env
from tools.client import ApiError, HubClient, new_hub_code
from tools.sandbox import vhost

DATABASE = "plut"
MOMENT = "plut-test-moment"
BUYER = {"type": "individual", "region": "Sampit"}


@dataclass(frozen=True)
class History:
    source: ArchivingPostgres  # still running
    base: Path  # the base backup
    archive: Path  # the WAL archive, from before the base backup to after the moment
    hub: str
    before: dict[str, int]  # order id -> quantity, placed before the moment
    after: list[str]  # placed after it
    moment: datetime  # just after the restore point MOMENT


@pytest.fixture(scope="module")
async def providers() -> AsyncIterator[dict[str, str]]:
    mailbox = Mailbox()
    mailbox.start()
    whatsapp = await WhatsAppCloudStub().start()
    sms = await SmsGatewayStub().start()
    try:
        yield stack_env(mailbox, whatsapp, sms)
    finally:
        await whatsapp.stop()
        await sms.stop()
        mailbox.stop()


@pytest.fixture(scope="module")
async def history(providers, tmp_path_factory) -> AsyncIterator[History]:
    source = await ArchivingPostgres.create()
    try:
        conn = await asyncpg.connect(source.url)
        try:
            await conn.execute(f"CREATE DATABASE {DATABASE}")
        finally:
            await conn.close()
        async with vhost("plut_pitr") as amqp_url:
            stack = Stack.plan(
                database_url=_database_url(source),
                amqp_url=amqp_url,
                log_dir=tmp_path_factory.mktemp("pitr-source-logs"),
                extra_env=providers,
            )
            try:
                await stack.start()  # each service applies its migrations
                yield await _write_history(source, stack)
            finally:
                stack.stop()
    finally:
        await source.destroy()


async def _write_history(source: ArchivingPostgres, stack: Stack) -> History:
    async with aiohttp.ClientSession() as session:
        client = HubClient(session, stack.urls(), operator_token=OPERATOR_TOKEN)
        hub = new_hub_code("pitr")
        await client.open_hub(hub)

        async def place(count: int, phase: str) -> dict[str, int]:
            placed = {}
            for index in range(count):
                buyer = {**BUYER, "name": f"Pembeli {phase} {index}"}
                order = await client.place_order(hub, "masker-kain", index + 1, buyer)
                placed[order["id"]] = order["quantity"]
            return placed

        before = await place(2, "sebelum cadangan")
        base = await source.base_backup()
        before |= await place(3, "sesudah cadangan")
        conn = await asyncpg.connect(_database_url(source))
        try:
            await conn.execute("SELECT pg_create_restore_point($1)", MOMENT)
            moment = await conn.fetchval("SELECT clock_timestamp()")
        finally:
            await conn.close()
        after = await place(2, "sesudah saat itu")
        await source.archive_all()
    return History(source, base, source.archive, hub, before, list(after), moment)


def _database_url(server) -> str:
    return f"postgresql://postgres@127.0.0.1:{server.port}/{DATABASE}"


def _restored_stack(
    restored: RestoredPostgres, amqp_url: str, providers: dict[str, str], log_dir: Path
) -> Stack:
    return Stack.plan(
        database_url=_database_url(restored),
        amqp_url=amqp_url,
        log_dir=log_dir,
        extra_env=providers,
    )


async def _serves_exactly_what_was_before(history: History, orders_url: str, restored) -> None:
    async with aiohttp.ClientSession() as session:
        client = HubClient(session, {"orders": orders_url}, operator_token=OPERATOR_TOKEN)
        for order_id, quantity in history.before.items():
            order = await client.order(order_id)
            assert (order["hub"], order["quantity"]) == (history.hub, quantity)
        for order_id in history.after:
            with pytest.raises(ApiError) as refused:
                await client.order(order_id)
            assert refused.value.status == 404, refused.value.body
    assert await _orders_of(restored, history.hub) == set(history.before)


async def _orders_of(server, hub: str) -> set[str]:
    conn = await asyncpg.connect(_database_url(server))
    try:
        rows = await conn.fetch("SELECT id FROM orders.orders WHERE hub = $1", hub)
    finally:
        await conn.close()
    return {str(row["id"]) for row in rows}


async def test_restored_to_a_restore_point_the_services_serve_what_was_before_it(
    history: History, providers, tmp_path
):
    restored = await RestoredPostgres.create(history.base, history.archive, "--name", MOMENT)
    try:
        async with vhost("plut_pitr") as amqp_url:
            stack = _restored_stack(restored, amqp_url, providers, tmp_path / "logs")
            try:
                await stack.start()  # every service: its migrations found applied
                await _serves_exactly_what_was_before(history, stack["orders"].url, restored)
                # It takes new orders, and is backed up and recovered in turn (its base backup
                # carries the first recovery's settings, which the second must not keep).
                async with aiohttp.ClientSession() as session:
                    client = HubClient(session, stack.urls(), operator_token=OPERATOR_TOKEN)
                    buyer = {**BUYER, "name": "Pembeli sesudah pemulihan"}
                    again = await client.place_order(history.hub, "masker-kain", 1, buyer)
                    assert (await client.order(again["id"]))["quantity"] == 1
                    base = await restored.base_backup()
                    later = await client.place_order(history.hub, "masker-kain", 2, buyer)
                await restored.archive_all(DATABASE)
            finally:
                stack.stop()
        second = await RestoredPostgres.create(base, restored.archive, "--latest")
        try:
            expected = {*history.before, again["id"], later["id"]}
            assert await _orders_of(second, history.hub) == expected
        finally:
            await second.destroy()
    finally:
        await restored.destroy()


async def test_restored_to_a_time_the_orders_service_serves_what_was_before_it(
    history: History, providers, tmp_path
):
    moment = history.moment.isoformat(sep=" ")
    restored = await RestoredPostgres.create(history.base, history.archive, "--time", moment)
    try:
        async with vhost("plut_pitr") as amqp_url:
            stack = _restored_stack(restored, amqp_url, providers, tmp_path / "logs")
            orders = stack["orders"]
            try:
                orders.start()
                await orders.wait_ready()
                await _serves_exactly_what_was_before(history, orders.url, restored)
            finally:
                orders.stop()
    finally:
        await restored.destroy()


async def test_pruned_the_archive_still_recovers_from_the_base_backup_it_kept(history: History):
    """Last in this file: it prunes the history's archive."""
    archive = history.archive
    newer = await history.source.base_backup()
    await history.source.archive_all()
    await prune(archive, 1, history.source.bin)

    assert sorted(path.name for path in (archive / "base").iterdir()) == [newer.name]
    assert history.base.name != newer.name
    with tarfile.open(newer / "base.tar.gz") as backup:
        label = backup.extractfile("backup_label").read().decode()
    first_wal = re.search(r"^START WAL LOCATION: .*\(file (\w{24})\)$", label, re.M)[1]
    segments = sorted(
        path.name[:24]
        for path in (archive / "wal").iterdir()
        if re.fullmatch(r"\w{24}\.gz", path.name)
    )
    assert segments and segments[0] == first_wal, (segments, first_wal)

    restored = await RestoredPostgres.create(newer, archive, "--latest")
    try:
        assert await _orders_of(restored, history.hub) >= {*history.before, *history.after}
    finally:
        await restored.destroy()
