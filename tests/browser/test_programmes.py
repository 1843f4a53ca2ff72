"""A free-mask programme in a browser: an admin opens it with the console's form, runs its draw
and downloads the funder's report, which the test opens as the funder would (XLSX read back,
the PDF's text extracted); a viewer and staff can neither open one nor draw."""

import io
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from playwright.async_api import Page, expect
from pypdf import PdfReader

from services.console.accounts import Role
from tests.browser.conftest import screenshot
from tests.browser.making import SKU
from tools.client import HubClient

pytestmark = pytest.mark.browser

NAME = "Masker Gratis Kapuas"


async def open_in_the_form(page: Page, budget: int) -> str:
    """The admin's "Buka program", filled as a person would; the new programme's id."""
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
    await page.get_by_role("link", name="Buka program").click()
    await page.get_by_label("Nama program").fill(NAME)
    await page.get_by_label("Penyandang dana").fill("Dinas Kesehatan Provinsi")
    await page.get_by_label("Anggaran (rupiah)").fill(str(budget))
    await page.get_by_label("Mulai (tanggal hub)").fill(str(today))
    await page.get_by_label("Selesai (tanggal hub, termasuk)").fill(str(today + timedelta(7)))
    await page.get_by_label(re.compile(rf"\({SKU}\)")).check()
    await page.get_by_label("Harga per unit (Rp)").fill("5000")
    await page.get_by_label("Unit paling banyak per penerima").fill("2")
    await page.get_by_label(re.compile("^Kabupaten/kota")).fill("Kapuas")
    await page.get_by_label("Perorangan").check()
    await page.get_by_role("radio", name=re.compile("Undian")).check()
    async with page.expect_navigation():
        await page.get_by_role("button", name="Buka program").click()
    await expect(page.get_by_text("Program dibuka.")).to_be_visible()
    found = re.search(r"/program/([0-9a-f-]{36})", page.url)
    assert found, page.url
    return found.group(1)


async def citizens_apply(client: HubClient, programme_id: str, count: int) -> None:
    for serial in range(1, count + 1):
        body = {
            "sku": SKU,
            "quantity": 2,
            "recipient": {
                "name": f"Warga Kapuas {serial}",
                "type": "individual",
                "region": "Kapuas",
                "nik": f"627101150890{serial:04d}",
            },  # fmt: skip
        }
        headers = client.to_orders(str(uuid.uuid4()))
        path = f"/v1/programmes/{programme_id}/applications"
        await client.call("orders", "POST", path, json=body, headers=headers)


async def downloaded(page: Page, link: str) -> tuple[bytes, str]:
    async with page.expect_download() as started:
        await page.get_by_role("link", name=link).click()
    download = await started.value
    return (await download.path()).read_bytes(), download.suggested_filename


async def test_an_admin_opens_a_programme_draws_and_downloads_the_funders_report(
    signed_in, client, hub
):
    page = await signed_in(Role.admin, then="/program")
    programme_id = await open_in_the_form(page, budget=20_000)  # two applicants' worth
    await citizens_apply(client, programme_id, 5)
    await page.reload()
    await expect(page.locator("[data-figure=waiting]")).to_have_text("5")

    await page.get_by_role("button", name="Undi sekarang").click()
    await expect(page.get_by_text("Undian dijalankan dan diumumkan.")).to_be_visible()
    draw = page.locator("[id^=undian-]")
    await expect(draw.locator("[data-figure=entrants]")).to_have_text("5")
    await expect(draw.locator("[data-figure=winners]")).to_have_text("2")
    seed = await draw.locator("[data-figure=seed]").inner_text()
    await expect(page.locator("[data-figure=left]")).to_have_text("Rp0")
    await screenshot(page, "programme-drawn-desktop")

    pdf, pdf_name = await downloaded(page, "Unduh PDF")
    assert re.fullmatch(r"laporan-program-[a-z0-9-]+-masker-gratis-kapuas-[0-9-]+\.pdf", pdf_name)
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(sheet.extract_text() for sheet in reader.pages)
    assert "LAPORAN PROGRAM UNTUK PENYANDANG DANA" in text
    assert f"Program / Programme {NAME}" in text
    assert "Anggaran seluruhnya / Total budget Rp20.000" in text
    assert "Committed Rp20.000" in text and "Sisa / Left Rp0" in text
    assert f"Undian / Lottery {seed} 5 2" in text
    assert f"Halaman {len(reader.pages)} dari {len(reader.pages)}" in text

    xlsx, xlsx_name = await downloaded(page, "Unduh XLSX")
    assert xlsx_name.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    header, summary = book["Program"].iter_rows(values_only=True)
    facts = dict(zip(header, summary, strict=True))
    assert facts["Program"] == NAME and facts["Anggaran"] == 20_000 and facts["Sisa"] == 0
    [row] = book["Undian"].iter_rows(min_row=2, values_only=True)
    assert row[2] == seed and row[3:5] == (5, 2)

    await page.get_by_role("link", name="Rincian").click()
    await expect(page.get_by_text("terpilih")).to_have_count(2)


@pytest.mark.parametrize("role", [Role.viewer, Role.staff])
async def test_a_viewer_or_staff_can_neither_open_a_programme_nor_draw(
    signed_in, client, hub, role
):
    admin = await signed_in(Role.admin, then="/program")
    programme_id = await open_in_the_form(admin, budget=10_000)
    await citizens_apply(client, programme_id, 3)

    page = await signed_in(role, then="/program")
    await expect(page.get_by_role("link", name=NAME)).to_be_visible()
    await expect(page.get_by_role("link", name="Buka program")).to_have_count(0)
    await page.get_by_role("link", name=NAME).click()
    await expect(page.get_by_role("button", name="Undi sekarang")).to_have_count(0)
    csrf = await page.locator("input[name=csrf]").first.input_value()

    await page.goto("/program/baru")
    await expect(page.get_by_text("Peran Anda tidak boleh melakukan ini")).to_be_visible()
    forced = await page.request.post(
        f"/program/{programme_id}/undi", form={"csrf": csrf, "nonce": "x.y"}, max_redirects=0
    )
    assert forced.status == 403
    draws = await client.call("orders", "GET", f"/v1/programmes/{programme_id}/draws")
    assert draws["draws"] == []
