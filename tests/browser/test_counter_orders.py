"""A new order at the counter on a phone (360×740): a staff member finds the form from the
counter page, a missing mobile number is named in the error summary with what was typed kept,
and the order placed shows its confirmation with what to tell the buyer."""

import re

import pytest
from playwright.async_api import expect

from services.console.accounts import Role
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


async def test_staff_place_a_phone_order_on_a_phone(signed_in, client, hub):
    page = await signed_in(Role.staff, viewport=PHONE, then="/loket")
    await page.get_by_role("link", name=re.compile("Pesanan baru untuk pembeli")).click()
    await expect(page).to_have_url(re.compile(r"/loket/pesanan-baru$"))

    await page.get_by_label("Jumlah unit").fill("2")
    await page.get_by_label("Nama (orang atau lembaga)").fill("Ibu Wati Telepon")
    await page.get_by_label("Jenis pembeli").select_option("individual")
    await page.get_by_label("Kabupaten/kota").fill("Kapuas")
    await page.get_by_role("button", name="Catat pesanan").click()

    summary = page.get_by_role("alert")
    await expect(summary).to_contain_text("Ada masalah")
    await expect(summary.get_by_role("link", name="Isi nomor HP Anda")).to_have_attribute(
        "href", "#phone"
    )
    await expect(page.get_by_label("Nama (orang atau lembaga)")).to_have_value("Ibu Wati Telepon")
    await expect(page.get_by_label("Nomor HP (wajib)")).to_have_attribute("aria-invalid", "true")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the form is {width}px wide on a {PHONE['width']}px screen"

    await page.get_by_label("Nomor HP (wajib)").fill("0812 3456 7099")
    await page.get_by_role("button", name="Catat pesanan").click()
    await expect(page).to_have_url(re.compile(r"/loket/pesanan/[0-9a-f-]{36}$"))
    await expect(page.get_by_role("heading", name="Sampaikan kepada pembeli")).to_be_visible()
    order_id = await page.locator('[data-figure="order-id"]').inner_text()
    order = await client.order(order_id)
    assert order["buyer"]["name"] == "Ibu Wati Telepon" and order["quantity"] == 2
