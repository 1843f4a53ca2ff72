"""Reports in a browser: the payouts spreadsheet downloaded and read back with openpyxl, and a
producers' file with one bad row refused whole, its error shown by the row."""

import io
import re

import openpyxl
import pytest
from playwright.async_api import expect

from services.console.accounts import Role
from tests.browser import making
from tests.browser.conftest import screenshot
from tests.browser.making import SKU, UNIT_PRICE
from tools.client import wait_until

pytestmark = pytest.mark.browser


async def test_the_payouts_xlsx_has_a_row_per_producer_who_sold(signed_in, client, hub):
    first = await making.producer(client, hub, "Ibu Aminah Bayar")
    second = await making.producer(client, hub, "Ibu Wati Bayar")
    await making.waiting_order(client, hub, "Dinas Kesehatan Kapuas", 10)
    await client.record_delivery(hub, first["id"], SKU, 4)
    await client.record_delivery(hub, second["id"], SKU, 6)

    async def counted() -> bool:
        # intake counts the units sold from the allocator's events, a moment later.
        path = f"/v1/producers/{second['id']}/deliveries"
        answer = await client.call("intake", "GET", path, headers=client.as_operator())
        return answer["deliveries"][0]["sold"] == 6

    await wait_until(counted, what="units sold counted by intake")

    page = await signed_in(Role.staff, then="/laporan")
    payouts = page.locator("section", has=page.get_by_role("heading", name="Pembayaran produsen"))
    await payouts.get_by_label("Format").select_option("xlsx")
    async with page.expect_download() as started:
        await payouts.get_by_role("button", name="Unduh").click()
    download = await started.value
    assert download.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO((await download.path()).read_bytes()))

    sheet = book.worksheets[0]
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    found = {
        row[header.index("Produsen")]: dict(zip(header, row, strict=True))
        for row in rows
        if row[header.index("Produsen")]
    }
    assert set(found) == {"Ibu Aminah Bayar", "Ibu Wati Bayar"}
    for name, sold in (("Ibu Aminah Bayar", 4), ("Ibu Wati Bayar", 6)):
        assert found[name]["Unit terjual"] == sold
        assert found[name]["Harga satuan"] == UNIT_PRICE
        assert found[name]["Pendapatan"] == sold * UNIT_PRICE
    assert found["Ibu Aminah Bayar"]["ID produsen"] == first["id"]
    totals = book.worksheets[1]
    earned = {row[0]: row[2] for row in totals.iter_rows(min_row=2, values_only=True) if row[0]}
    assert earned == {"Ibu Aminah Bayar": 4 * UNIT_PRICE, "Ibu Wati Bayar": 6 * UNIT_PRICE}


async def test_a_producers_file_with_one_bad_row_imports_nothing(signed_in, client, hub, tmp_path):
    upload = tmp_path / "produsen.csv"
    upload.write_text(
        "nama,telepon,kabupaten\n"
        "Ibu Sari Impor,081234500001,Kapuas\n"
        "Ibu Rina Impor,12,Kapuas\n"  # no phone number: row 3 of the sheet
        "Ibu Dewi Impor,081234500003,Pulang Pisau\n"
    )
    page = await signed_in(Role.staff, then="/laporan")
    await page.get_by_role("link", name="Unggah daftar produsen dari XLSX atau CSV").click()
    await page.get_by_label("Berkas (XLSX atau CSV)").set_input_files(upload)
    await page.get_by_role("button", name=re.compile("Impor ke hub")).click()

    report = page.get_by_role("alert")
    await expect(report).to_contain_text("Tidak ada yang diimpor")
    bad = report.get_by_role("row").filter(has_text="phone")
    await expect(bad).to_have_count(1)
    await expect(bad.get_by_role("cell").first).to_have_text("3")
    await screenshot(page, "import-refused-desktop")

    assert (await making.producers_of(client, hub))["total"] == 0
    await page.goto("/produsen")
    await expect(page.get_by_role("heading", name="Produsen", exact=True)).to_be_visible()
    await expect(page.get_by_text(re.compile(r"Ibu (Sari|Rina|Dewi) Impor"))).to_have_count(0)
