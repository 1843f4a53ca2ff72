"""A citizen applies to a free-mask programme on the buyers' site in a phone's browser at
360×740, with JavaScript off and on: from the home page to the hub's programmes, the phone
proved with a code read from the WhatsApp stand-in, the form with a NIK sent back with its
error, the answers checked, and the application's page waiting for the draw. Each page within
the budget and no wider than the phone."""

import re

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, expect

from tests.browser.buying import TRACKING_CODE, code_typed, fits
from tests.support.programme_site import new_nik, site_programme
from tests.support.storefront import Site, codes_sent, new_phone

pytestmark = pytest.mark.browser


class Pages:
    """Each page fitted to the phone and photographed; with scripts on, audited by axe-core
    too (it runs in the page), its serious and critical findings kept by page."""

    def __init__(self, page: Page, javascript: bool) -> None:
        self.page, self.javascript = page, javascript
        self.axe, self.found = Axe(), {}

    async def shown(self, name: str) -> None:
        js = "js" if self.javascript else "nojs"
        await fits(self.page, f"{js}-{name}")
        if self.javascript:
            results = await self.axe.run(self.page)
            self.found[name] = [
                f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
                for v in results.response["violations"]
                if v["impact"] in ("serious", "critical")
            ]


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
async def test_a_citizen_applies_on_the_site_and_sees_the_application_wait_for_the_draw(
    phone_pages, site: Site, whatsapp, client, javascript
):
    programme = await site_programme(client, site)
    page, phone, nik = await phone_pages(javascript), new_phone(), new_nik()
    pages = Pages(page, javascript)
    await page.goto("/")
    await page.get_by_role("link", name="Program masker gratis di hub ini").click()
    await expect(page.get_by_role("heading", name=programme["name"])).to_be_visible()
    await pages.shown("programmes")

    await page.get_by_role("link", name=f"Daftar {programme['name']}").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(programme["name"])
    await pages.shown("programme")
    await page.get_by_label("Nomor HP").fill(phone)
    await page.get_by_role("button", name="Kirim kode ke HP saya").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ketik kode dari HP Anda")
    [code] = await codes_sent(whatsapp, phone)
    await code_typed(page, code)

    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Daftar: {programme['name']}")
    await page.get_by_label("Jenis penerima").select_option("individual")
    await page.get_by_label("Nama (sesuai KTP, atau nama lembaga)").fill("Ibu Siti Rahayu")
    await page.get_by_label("NIK", exact=True).fill("6271013206900001")  # no 32nd of a month
    await page.get_by_label("Kabupaten/kota").select_option("Kota Palangka Raya")
    await page.get_by_label("Jumlah unit").fill("2")
    await page.get_by_role("button", name="Lanjut").click()
    summary = page.get_by_role("alert")
    await expect(summary.get_by_role("link")).to_have_attribute("href", "#nik")
    await expect(page.get_by_label("Nama (sesuai KTP, atau nama lembaga)")).to_have_value(
        "Ibu Siti Rahayu"
    )
    await pages.shown("application-errors")

    await page.get_by_label("NIK", exact=True).fill(nik)
    await page.get_by_role("button", name="Lanjut").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Periksa pendaftaran Anda")
    await pages.shown("application-check")
    await page.get_by_role("button", name="Kirim pendaftaran").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Pendaftaran diterima")
    code = await page.locator(".confirmation .code").inner_text()
    assert TRACKING_CODE.fullmatch(code), code
    await expect(page.get_by_text("Menunggu undian", exact=True)).to_be_visible()
    # The applicant's own draw ticket, what the published draw names them by (not the code).
    ticket = page.locator("[data-figure=ticket]")
    await expect(ticket).to_have_text(re.compile(r"^T-[0-9A-HJKMNP-TV-Z]{6}$"))
    assert await ticket.inner_text() != code
    assert nik not in await page.content()
    await pages.shown("application-waiting")
    assert not any(pages.found.values()), pages.found
