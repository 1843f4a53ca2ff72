"""Hand-over by code on a phone (360×740): a staff member opens the hand-over from the counter,
a USB scanner types the buyer's tracking link and Enter into the box that has the focus, the
order shows what is held and until when, *Serahkan* hands it over, and the pick-up slip prints
alone (no navigation on paper) with its Print button shown by its script."""

import re

import pytest
from playwright.async_api import expect

from services.console.accounts import Role
from tests.browser.conftest import PHONE, TIMEOUT_MS, screenshot, sign_in
from tests.integration.test_console_handover import held_order

pytestmark = pytest.mark.browser


async def no_sideways_scroll(page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px screen"
    # Nor inside a card (a card scrolls sideways rather than widen the page).
    cramped = await page.evaluate(
        "[...document.querySelectorAll('.card')].filter(c => c.scrollWidth > c.clientWidth).length"
    )
    assert cramped == 0, f"{cramped} card(s) on {page.url} scroll sideways"


async def test_staff_hand_over_a_scanned_order_and_print_its_slip(signed_in, client, hub):
    order = await held_order(client, hub, "Ibu Lestari Pindai", 3)
    page = await signed_in(Role.staff, viewport=PHONE, then="/loket")
    await page.get_by_role("link", name="Serah terima dengan kode pesanan").click()
    await expect(page).to_have_url(re.compile(r"/loket/serah-terima$"))

    # A scanner is a keyboard: it types into whatever has the focus, then presses Enter.
    box = page.get_by_label("Kode pesanan atau tautan lacak")
    await expect(box).to_be_focused()
    await page.keyboard.type(f"https://pesan.plut.example/lacak/{order['code']}")
    await page.keyboard.press("Enter")

    await expect(page.get_by_role("heading", name="Ibu Lestari Pindai")).to_be_visible()
    await expect(page.locator('[data-figure="code"]')).to_have_text(order["code"])
    await expect(page.locator('[data-figure="held"]')).to_have_text("3")
    await expect(page.locator('[data-figure="hold-until"]')).not_to_have_text("–")
    await expect(page.get_by_label("Kode pesanan atau tautan lacak")).to_be_focused()
    await no_sideways_scroll(page)
    await screenshot(page, "handover-phone")

    await page.get_by_role("button", name="Serahkan").click()
    await expect(page).to_have_url(re.compile(r"/loket/serah-terima/slip/[0-9a-f-]{36}$"))
    slip = page.locator("article.slip")
    await expect(slip.get_by_role("heading", name="Tanda terima pengambilan")).to_be_visible()
    await expect(slip.locator('[data-figure="units"]')).to_have_text("3")
    await expect(slip.locator('[data-figure="staff"]')).to_have_text("Uji staff")
    await expect(slip.locator('[data-figure="code"]')).to_have_text(order["code"])
    await expect(page.get_by_role("button", name="Cetak")).to_be_visible()
    await expect(page.get_by_text("Untuk mencetak, pakai menu Cetak peramban")).to_be_hidden()
    await no_sideways_scroll(page)
    await screenshot(page, "handover-slip-phone")

    # On paper: the slip, without the header, the menu or the links around it.
    await page.emulate_media(media="print")
    await expect(slip).to_be_visible()
    await expect(page.locator("header.top")).to_be_hidden()
    await expect(page.get_by_role("button", name="Cetak")).to_be_hidden()
    await expect(page.get_by_role("link", name="Serah terima berikutnya")).to_be_hidden()
    await page.emulate_media(media="screen")

    after = await client.order(order["id"])
    assert after["status"] == "fulfilled" and after["fulfilled"] == 3


async def test_without_javascript_it_all_works_and_the_slip_says_how_to_print(
    browser, console_url, operators, client, hub
):
    order = await held_order(client, hub, "Pak Tanpa Skrip", 1)
    context = await browser.new_context(
        base_url=console_url, viewport=PHONE, java_script_enabled=False, locale="id-ID"
    )
    try:
        context.set_default_timeout(TIMEOUT_MS)
        await context.add_cookies([{"name": "plut_hub", "value": hub, "url": console_url}])
        page = await sign_in(await context.new_page(), operators[Role.staff], "/loket/serah-terima")
        await expect(page.get_by_label("Kode pesanan atau tautan lacak")).to_be_focused()
        await page.keyboard.type(order["code"].lower())
        await page.keyboard.press("Enter")
        await expect(page.locator('[data-figure="held"]')).to_have_text("1")
        await page.get_by_role("button", name="Serahkan").click()

        await expect(page.locator('[data-figure="units"]')).to_have_text("1")
        await expect(page.get_by_text("Untuk mencetak, pakai menu Cetak peramban")).to_be_visible()
        await expect(page.get_by_role("button", name="Cetak")).to_be_hidden()
    finally:
        await context.close()
    assert (await client.order(order["id"]))["status"] == "fulfilled"
