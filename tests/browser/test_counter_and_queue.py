"""The counter and the queue in a browser: a delivery recorded at the counter is allocated to
the order waiting for it, on the delivery's page and on the queue; an order is marked collected.
"""

import re

import pytest
from playwright.async_api import expect

from services.console.accounts import Role
from tests.browser import making
from tests.browser.making import SKU

pytestmark = pytest.mark.browser


async def test_a_delivery_at_the_counter_is_allocated_on_its_page_and_the_queue(
    signed_in, client, hub
):
    seller = await making.producer(client, hub, "Ibu Ratna Loket")
    order = await making.waiting_order(client, hub, "Puskesmas Selat", 6)
    page = await signed_in(Role.staff, then="/loket")

    # A phone number and Enter: the one producer found is chosen and the form is ready.
    await page.get_by_label("Cari produsen (nama atau nomor HP)").fill(seller["phone"])
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name=re.compile("Ibu Ratna Loket"))).to_be_visible()
    await page.get_by_label("Jumlah disetor").fill("10")
    await page.get_by_label("Ditolak (tidak lolos QC)").fill("2")
    await page.get_by_role("button", name="Catat setoran").click()

    # The delivery's page reloads itself until the allocator has heard of the delivery.
    await expect(page).to_have_url(re.compile(r"/loket/setoran/[0-9a-f-]{36}$"))
    await expect(page.locator('[data-figure="accepted"]')).to_have_text("8")
    await expect(page.locator('[data-figure="allocated"]')).to_have_text("6")
    given = page.get_by_role("row", name=re.compile("Puskesmas Selat"))
    await expect(given).to_contain_text("6")

    await page.get_by_role("link", name="Lihat antrean").click()
    await expect(page).to_have_url(re.compile(rf"/antrean\?sku={SKU}$"))
    waiting = page.locator("section", has=page.get_by_role("heading", name="Menunggu diambil"))
    row = waiting.get_by_role("row", name=re.compile("Puskesmas Selat"))
    await expect(row).to_be_visible()
    await expect(row.get_by_role("button", name="Diambil")).to_be_visible()
    assert (await client.order(order["id"]))["status"] == "allocated"


async def test_an_order_is_marked_collected_on_the_queue(signed_in, client, hub):
    seller = await making.producer(client, hub, "Pak Joko Ambil")
    order = await making.waiting_order(client, hub, "Klinik Pulang Pisau", 4)
    await client.record_delivery(hub, seller["id"], SKU, 4)
    await making.status_becomes(client, order["id"], "allocated")

    page = await signed_in(Role.staff, then=f"/antrean?sku={SKU}")
    row = page.get_by_role("row", name=re.compile("Klinik Pulang Pisau"))
    await row.get_by_role("button", name="Diambil").click()
    await expect(page.get_by_role("status")).to_have_text("Pesanan ditandai sudah diambil.")
    await expect(page.get_by_role("row", name=re.compile("Klinik Pulang Pisau"))).to_have_count(0)
    assert (await client.order(order["id"]))["status"] == "fulfilled"
