"""The buyers' site as a phone's browser goes through it: the order form filled in, codes
typed, figures read off an order's page; and what every page must fit in."""

import re

from playwright.async_api import Locator, Page, expect

from tests.browser.conftest import PHONE, screenshot
from tools.client import wait_until

PAGE_BUDGET = 60 * 1024
TRACKING_CODE = re.compile(r"[0-9A-Z]{5}-[0-9A-Z]{5}")
DAY = re.compile(r"^\d{1,2} \w+ \d{4}$")


async def fits(page: Page, name: str) -> None:
    """No wider than the phone, within the budget with its stylesheet and script, nothing from
    another site; photographed."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} is {width}px wide"
    await page.wait_for_load_state()
    document = page.weights.get(page.url, ("document", 0))[1]
    # Both are kept by the browser once fetched, but a first visit brings them.
    extras = sum(size for kind, size in page.weights.values() if kind != "document")
    assert 0 < document and document + extras < PAGE_BUDGET, (name, document, extras)
    assert not page.elsewhere, f"{name} asked another site for {page.elsewhere}"
    await screenshot(page, f"storefront/{name}-360")


def figure(page: Page, term: str) -> Locator:
    """The value beside `term` in the order's summary."""
    return page.locator(".summary div").filter(has=page.get_by_text(term, exact=True)).locator("dd")


async def reload_until(page: Page, text: str) -> None:
    """The page reloaded until it shows `text`: the allocator works in its own time."""

    async def shown() -> bool:
        await page.reload()
        return await page.get_by_text(text, exact=True).count() > 0

    await wait_until(shown, what=f"{text!r} on {page.url}")


async def answers_checked(page: Page, phone: str, name: str) -> None:
    """Every field filled in from the home page on, and the answers shown to check."""
    await page.goto("/")
    await page.get_by_role("link", name="Pesan Masker kain 3 lapis").click()
    await page.get_by_label("Jumlah unit").fill("2")
    await page.get_by_label("Ya, terima sebagian dulu").check()
    await page.get_by_label("Nama (orang atau lembaga)").fill(name)
    await page.get_by_label("Jenis pembeli").select_option("individual")
    await page.get_by_label("Kabupaten/kota").fill("Kapuas")
    await page.get_by_label("Nomor HP").fill(phone)
    await page.get_by_label("Email (tidak wajib)").fill("yohanes@contoh.id")
    await page.get_by_label("Bahasa pesan").select_option("id")
    await page.get_by_label("Kabari saya lewat").select_option("whatsapp")
    await page.get_by_role("button", name="Lanjut").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Periksa pesanan Anda")
    await expect(page.get_by_text(name)).to_be_visible()
    await expect(page.get_by_text("yohanes@contoh.id")).to_be_visible()


async def order_form_sent(page: Page, phone: str, name: str) -> None:
    """The form filled in, checked and the code asked for."""
    await answers_checked(page, phone, name)
    await page.get_by_role("button", name="Kirim kode ke HP saya").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ketik kode dari HP Anda")


async def code_typed(page: Page, code: str) -> None:
    await page.get_by_label("Kode", exact=True).fill(code)
    await page.get_by_role("button", name="Lanjut").click()


async def placed(page: Page) -> bool:
    """The page (reloaded) shows a place in the queue and an estimated date."""
    await page.reload()
    place = await figure(page, "Tempat di antrean").inner_text()
    likely = await figure(page, "Perkiraan dilayani").inner_text()
    return place.isdigit() and bool(DAY.match(likely))
