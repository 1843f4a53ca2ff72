"""Attack: hostile spreadsheets at the counter's bulk orders (`/loket/pesanan-massal`).

The page reads uploads through the one safe reader (uploads.py), so the crafted files that
would take the console down are refused there, with the same page, as at the producers' import.
Beyond those: cells that would be live formulas in the centre's Excel are refused by row, not
kept; a file of more orders than a batch takes, a file that is no spreadsheet and a file over
the upload limit each get a page saying so; a form without its nonce, or with another
operator's, places nothing. Nothing refused reaches the orders service, and the console goes on
answering.
"""

import io
import zipfile

import pytest

from services.console.accounts import Role
from services.console.order_file import MAX_ORDERS
from services.console.uploads import MAX_UPLOAD_BYTES
from tests.integration.test_console_bulk_orders import (
    HEADER_EN,
    PAGE,
    agency_rows,
    nonce_in,
    orders_at,
    upload,
    xlsx_of,
)
from tests.security.test_console_uploads import ATTACKS, console_answers, rewritten
from tools.client import HubClient


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_a_crafted_spreadsheet_is_refused_by_the_shared_reader(
    attack, console_as, client: HubClient, hub
):
    name, make, says = ATTACKS[attack]
    session = await console_as(Role.staff)
    status, page = await upload(session, name, make(), sku="masker-kain")
    assert status == 422, page[:2000]
    assert says in page and 'class="card error"' in page
    assert await orders_at(client, hub) == []
    assert await console_answers(session)


@pytest.mark.parametrize(
    "cell",
    [
        "=cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        '+HYPERLINK("http://jahat.example","Klik")',
        "-2+3+cmd|' /C calc'!A0",
    ],
)
async def test_a_formula_in_a_csv_cell_is_refused_by_its_row(cell, console_as, client, hub):
    session = await console_as(Role.staff)
    lines = [",".join(HEADER_EN + ["email"])]
    for row in agency_rows(2):
        lines.append(",".join(str(value) for value in row) + ",")
    quoted = '"' + cell.replace('"', '""') + '"'
    lines[2] = lines[2].replace("Pegawai Dinkes 2", quoted)
    lines.append(",".join(str(value) for value in agency_rows(3)[2]) + "," + quoted)

    status, page = await upload(session, "dinkes.csv", ("\r\n".join(lines) + "\r\n").encode())

    assert status == 422, page[:2000]
    assert '<tr data-row="3"><td class="number">3</td><td><code>nama</code>' in page
    assert '<tr data-row="4"><td class="number">4</td><td><code>email</code>' in page
    assert page.count("rumus tidak diterima") == 2
    assert "cmd|" not in page and "jahat.example" not in page
    assert await orders_at(client, hub) == []


async def test_an_xlsx_formula_gives_its_shown_value_never_its_formula(console_as, client, hub):
    """A cell written by Excel keeps what it showed beside the formula; the page reads that,
    never the formula, so `HYPERLINK(...)` cannot reach an order. A formula with no value
    shown is an empty cell."""

    def formulas(xml: bytes) -> bytes:
        shown = b'<c r="D2" t="str"><f>HYPERLINK("http://jahat.example","Klik")</f><v>Klik</v></c>'
        empty = b'<c r="D3"><f>HYPERLINK("http://jahat.example","Klik")</f></c>'
        xml = _cell_replaced(xml, b"D2", shown)
        return _cell_replaced(xml, b"D3", empty)

    file = rewritten(xlsx_of([HEADER_EN, *agency_rows(2)]), formulas)
    session = await console_as(Role.staff)

    status, page = await upload(session, "dinkes.xlsx", file)

    assert status == 422, page[:2000]
    assert '<tr data-row="3"><td class="number">3</td><td><code>nama</code>' in page
    assert 'data-row="2"' not in page
    assert await orders_at(client, hub) == []

    fixed = rewritten(
        file,
        lambda xml: _cell_replaced(
            xml, b"D3", b'<c r="D3" t="inlineStr"><is><t>Bu Ani</t></is></c>'
        ),
    )
    status, page = await upload(session, "dinkes.xlsx", fixed)
    assert status == 200, page[:2000]
    names = {order["buyer"]["name"] for order in await orders_at(client, hub)}
    assert names == {"Klik", "Bu Ani"}


def _cell_replaced(xml: bytes, reference: bytes, cell: bytes) -> bytes:
    start = xml.index(b'<c r="' + reference + b'"')
    end = xml.index(b"</c>", start) + len(b"</c>")
    return xml[:start] + cell + xml[end:]


async def test_more_orders_than_a_batch_takes_are_refused_whole(console_as, client, hub):
    session = await console_as(Role.staff)
    rows = agency_rows(MAX_ORDERS + 1)
    status, page = await upload(session, "dinkes.xlsx", xlsx_of([HEADER_EN, *rows]))
    assert status == 422, page[:2000]
    assert f"Berkas berisi {MAX_ORDERS + 1} pesanan; paling banyak {MAX_ORDERS}" in page
    assert await orders_at(client, hub) == []


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("dinkes.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "bukan XLSX atau CSV"),
        ("dinkes.xlsx", b"%PDF-1.7\n" + bytes(range(256)) * 4, "bukan XLSX atau CSV"),
        ("dinkes.csv", b"", "Berkas kosong"),
        ("dinkes.csv", b"nama,alamat rumah\r\nIbu Sari,Jl. Kenanga\r\n", "Kolom tidak dikenal"),
    ],
    ids=["png", "pdf", "empty", "other columns"],
)
async def test_a_file_that_is_no_order_list_gets_a_page_saying_so(
    console_as, client, hub, name, data, says
):
    session = await console_as(Role.staff)
    status, page = await upload(session, name, data, sku="masker-kain")
    assert status == 422, page[:2000]
    assert says in page
    assert await orders_at(client, hub) == []


async def test_an_odt_renamed_xlsx_is_refused(console_as, client, hub):
    """A zip that is another kind of document (LibreOffice's, say)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as packed:
        packed.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        packed.writestr("content.xml", "<office:document-content/>")
    session = await console_as(Role.staff)
    status, page = await upload(session, "dinkes.xlsx", out.getvalue(), sku="masker-kain")
    assert status == 422 and "rusak atau bukan XLSX" in page
    assert await orders_at(client, hub) == []


async def test_a_file_over_the_upload_limit_gets_a_page_not_a_crash(console_as, client, hub):
    session = await console_as(Role.staff)
    data = b"jumlah,nama\r\n" * (MAX_UPLOAD_BYTES // 13 + 1)
    status, page = await upload(session, "besar.csv", data, sku="masker-kain")
    assert status == 413
    assert "Berkas lebih dari 5 MB" in page
    assert await orders_at(client, hub) == []
    assert await console_answers(session)


async def test_a_form_without_its_nonce_or_with_anothers_places_nothing(
    console_as, client: HubClient, hub
):
    file = xlsx_of([HEADER_EN, *agency_rows(2)])
    other = await console_as(Role.staff)
    others_nonce = nonce_in(await other.page(PAGE))
    session = await console_as(Role.staff)
    await session.page(PAGE)

    for nonce in ("", "dibuat-sendiri.0000", others_nonce):
        status, page = await upload(session, "dinkes.xlsx", file, nonce=nonce)
        assert status == 403, (nonce, page[:1000])
    assert await orders_at(client, hub) == []
