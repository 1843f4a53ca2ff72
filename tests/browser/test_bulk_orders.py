"""Bulk orders on a phone (360×740): staff find the page from the new order form, a file with a
bad row comes back with the row and column named and nothing placed, and the fixed file places
every order, each linked to its page. No sideways scroll on either page."""

import re

import pytest
from playwright.async_api import expect

from services.console.accounts import Role
from tests.browser.conftest import PHONE, screenshot
from tests.browser.making import SKU

pytestmark = pytest.mark.browser

HEADER = "jumlah;nama;jenis pembeli;kabupaten/kota;nomor hp\n"


async def test_an_agencys_file_on_a_phone(signed_in, client, hub, tmp_path):
    upload = tmp_path / "dinkes.csv"
    upload.write_text(
        HEADER + "2;Ibu Sari Massal;perorangan;Kapuas;0812 3450 0001\n"
        "3;Pak Rudi Massal;perorangan;Kapuas;12\n"  # row 3: no mobile number
    )
    page = await signed_in(Role.staff, viewport=PHONE, then="/loket/pesanan-baru")
    await page.get_by_role("link", name="Banyak pesanan dari spreadsheet").click()
    await expect(page).to_have_url(re.compile(r"/loket/pesanan-massal$"))
    await page.get_by_label("Produk untuk baris").select_option(SKU)
    await page.get_by_label("Berkas (XLSX atau CSV)").set_input_files(upload)
    await page.get_by_role("button", name=re.compile("Catat semua pesanan")).click()

    report = page.get_by_role("alert")
    await expect(report).to_contain_text("1 baris bermasalah; tidak ada pesanan yang dicatat")
    bad = report.get_by_role("row").filter(has_text="nomor hp")
    await expect(bad.get_by_role("cell").first).to_have_text("3")
    await screenshot(page, "bulk-orders-refused-phone")
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    upload.write_text(upload.read_text().replace(";12\n", ";0812 3450 0002\n"))
    await page.get_by_label("Berkas (XLSX atau CSV)").set_input_files(upload)
    await page.get_by_role("button", name=re.compile("Catat semua pesanan")).click()

    await expect(page.locator('[data-figure="placed"]')).to_have_text("2")
    links = page.locator("a[data-order]")
    await expect(links).to_have_count(2)
    await screenshot(page, "bulk-orders-placed-phone")
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    order_id = await links.nth(1).get_attribute("data-order")
    assert (await client.order(order_id))["buyer"]["name"] == "Pak Rudi Massal"
    await links.nth(1).click()
    await expect(page.get_by_role("heading", name="Sampaikan kepada pembeli")).to_be_visible()
