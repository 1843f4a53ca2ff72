"""The `plut` command against the test stack, run as a person or a script runs it."""

import asyncio
import io
import os
import sys
import uuid
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from services.console.accounts import Role
from tests.support.console import Account, ConsoleSession
from tests.support.stack_env import OPERATOR_TOKEN
from tools.client import ApiError, HubClient, wait_until


async def plut(stack, *arguments: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    urls = stack.urls()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tools.plut",
        *arguments,
        env={
            **os.environ,
            **{f"{name.upper()}_URL": url for name, url in urls.items()},
            "OPERATOR_TOKEN": OPERATOR_TOKEN,
            "COLUMNS": "120",
            **(env or {}),
        },
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=240)
    return process.returncode, output.decode()


async def test_operator_create_then_sign_in_with_it(stack, box):
    username = f"cli-{uuid.uuid4().hex[:8]}"
    password = "sandi-dari-cli-123"
    code, output = await plut(
        stack, "operator", "create", "--username", username, "--name", "Ana CLI",
        "--role", "staff", env={"DATABASE_URL": box.database_url, "PLUT_PASSWORD": password},
    )  # fmt: skip
    assert code == 0, output
    session = ConsoleSession(stack["console"].url)
    try:
        await session.sign_in(Account(username, password, Role.staff))
        assert "Ana CLI" in await session.page("/laporan")
    finally:
        await session.close()
    again, output = await plut(
        stack, "operator", "create", "--username", username, "--name", "x", "--role", "viewer",
        env={"DATABASE_URL": box.database_url, "PLUT_PASSWORD": password},
    )  # fmt: skip
    assert again == 1 and "taken" in output


async def test_play_generated_prints_its_summary(stack):
    code, output = await plut(
        stack, "play", "generated", "--orders", "50", "--producers", "5", "--rate", "100"
    )
    assert code == 0, output
    summary = {
        line.strip("│ ").rsplit("│", 1)[0].strip(): line.strip("│ ").rsplit("│", 1)[1].strip()
        for line in output.splitlines()
        if line.count("│") == 3
    }
    assert summary["pesanan dibuat / orders placed"] == "50"
    served = [
        int(summary[words])
        for words in (
            "terlayani penuh / served in full",
            "terlayani sebagian / served in part",
            "belum dapat / nothing yet",
        )
    ]
    assert sum(served) == 50 and served[0] > 0  # every order in exactly one
    allocated = int(summary["unit dibagikan / units allocated"])
    assert allocated == int(summary["unit dipasok / units supplied"])
    assert float(summary["pesanan per detik / orders/s (placing)"]) > 0


async def test_export_payouts_writes_a_file_openpyxl_reads(stack, client: HubClient, hub, tmp_path):
    siti = await client.register_producer(hub, name="Ibu Siti", phone="081200000001",
                                          regency="Kapuas")  # fmt: skip
    buyer = {"name": "Toko Budi", "type": "business", "region": "Sampit"}
    order = await client.place_order(hub, "masker-kain", 10, buyer)
    await client.record_delivery(hub, siti["id"], "masker-kain", 25)

    async def allocated() -> bool:
        return (await client.order(order["id"]))["allocated"] == 10

    await wait_until(allocated, what="the order's allocation")
    out = tmp_path / "pembayaran.xlsx"
    today = datetime.now().date()
    code, output = await plut(
        stack, "export", "payouts", "--hub", hub, "--from", str(today - timedelta(days=1)),
        "--to", str(today + timedelta(days=1)),
        "--out", str(out),
    )  # fmt: skip
    assert code == 0, output
    book = load_workbook(io.BytesIO(out.read_bytes()))
    rows = list(book["Pembayaran"].iter_rows(min_row=2, values_only=True))
    assert [(row[1], row[5], row[7]) for row in rows] == [("Ibu Siti", 10, 50000)]


async def test_partner_create_prints_a_key_that_orders(stack, client: HubClient, hub):
    code, output = await plut(stack, "partner", "create", "--name", "Toko CLI", "--hubs", hub)
    assert code == 0, output
    key = output.strip().splitlines()[-1]
    buyer = {"name": "Budi", "type": "individual", "region": "Sampit"}
    placed = await client.as_partner(key).place_order(hub, "masker-kain", 1, buyer)
    assert placed["hub"] == hub


async def test_partner_create_allows_the_buyer_types_it_is_given(stack, client: HubClient, hub):
    code, output = await plut(
        stack, "partner", "create", "--name", "Situs CLI", "--hubs", hub,
        "--buyer-types", "health_facility, individual", "--requests-per-minute", "1000",
    )  # fmt: skip
    assert code == 0, output
    partner = client.as_partner(output.strip().splitlines()[-1])
    buyer = {"name": "Puskesmas Pahandut", "type": "health_facility", "region": "Palangka Raya"}
    placed = await partner.place_order(hub, "masker-kain", 1, buyer)
    assert placed["priority_class"] == "health"
    with pytest.raises(ApiError) as refused:
        await partner.place_order(hub, "masker-kain", 1, {**buyer, "type": "agency"})
    assert refused.value.status == 403


async def test_partner_create_gives_the_sites_key_the_track_scope(stack, client: HubClient, hub):
    theirs = await client.place_order(
        hub, "masker-kain", 1, {"name": "Budi", "type": "individual", "region": "Sampit"}
    )
    code, output = await plut(
        stack, "partner", "create", "--name", "Situs CLI", "--hubs", hub,
        "--scopes", "orders:write,orders:read,orders:track",
    )  # fmt: skip
    assert code == 0, output
    site = client.as_partner(output.strip().splitlines()[-1])
    assert (await site.order_by_code(theirs["code"]))["id"] == theirs["id"]


async def test_seed_makes_a_demo_hub(stack, client: HubClient):
    hub = f"demo-{uuid.uuid4().hex[:8]}"
    code, output = await plut(stack, "seed", "--hub", hub)
    assert code == 0, output
    assert {product["sku"] for product in await client.catalog(hub)} == {
        "masker-kain",
        "hand-sanitizer",
    }


async def test_without_the_operator_token_it_says_so(stack):
    code, output = await plut(stack, "seed", env={"OPERATOR_TOKEN": ""})
    assert code == 2 and "OPERATOR_TOKEN" in output


async def test_play_founding_reports_who_got_what(stack):
    code, output = await plut(stack, "play", "founding")
    assert code == 0, output
    assert "founding day" in output and "Dinas Kesehatan" in output


async def test_export_queue_as_csv(stack, client: HubClient, hub, tmp_path):
    for index in range(2):
        buyer = {"name": f"Pembeli {index}", "type": "individual", "region": "Sampit"}
        await client.place_order(hub, "masker-kain", 3, buyer)

    async def queued() -> bool:
        return (await client.queue(hub, "masker-kain"))["waiting"] == 2

    await wait_until(queued, what="two orders queued")
    out = tmp_path / "queue.csv"
    code, output = await plut(
        stack, "export", "queue", "--hub", hub, "--sku", "masker-kain", "--format", "csv",
        "--language", "en", "--out", str(out),
    )  # fmt: skip
    assert code == 0, output
    lines = out.read_bytes().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Position,Buyer,Buyer type,")
    assert [line.split(",")[1] for line in lines[1:]] == ["Pembeli 0", "Pembeli 1"]
