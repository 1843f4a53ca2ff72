"""Every main page at phone and desktop width, full length, kept as artefacts to look at; each
must answer without an error. One signed-in admin (who sees every page) visits them all; one
buyer goes through every page of the buyers' site, where axe-core checks each too."""

from urllib.parse import quote

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, expect

from services.console.accounts import Role
from tests.browser import making
from tests.browser.buying import answers_checked, code_typed, fits, placed, reload_until
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.browser.making import SKU
from tests.support.storefront import (
    Site,
    allocated,
    codes_sent,
    deliver_what_waits,
    new_phone,
    waiting_order,
)
from tools.client import wait_until

pytestmark = pytest.mark.browser


@pytest.fixture
async def busy_hub(client, hub) -> dict:
    """A hub with a bit of everything: producers, a delivery, orders allocated and waiting."""
    seller = await making.producer(client, hub, "Ibu Siti Aminah")
    await making.producer(client, hub, "Pak Budi Santoso")
    served = await making.waiting_order(client, hub, "Dinas Kesehatan Kapuas", 6)
    delivery = await client.record_delivery(hub, seller["id"], SKU, 8, rejected=2)
    served = await making.status_becomes(client, served["id"], "allocated")
    await making.waiting_order(client, hub, "Puskesmas Selat", 20)
    await client.create_partner(f"Apotek {hub}", [hub])
    return {"producer": seller, "order": served, "delivery": delivery}


def main_pages(made: dict) -> dict[str, str]:
    return {
        "today": "/",
        "counter": f"/loket?q={quote(made['producer']['phone'])}",
        "delivery": f"/loket/setoran/{made['delivery']['id']}",
        "new-order": "/loket/pesanan-baru",
        "handover": f"/loket/serah-terima?kode={made['order']['code']}",
        "queue": f"/antrean?sku={SKU}",
        "producers": "/produsen",
        "producer": f"/produsen/{made['producer']['id']}",
        "orders": "/pesanan?q=Dinas",
        "order": f"/pesanan/{made['order']['id']}",
        "reports": "/laporan",
        "import": "/laporan/impor",
        "bulk-orders": "/loket/pesanan-massal",
        "partners": "/mitra",
        "hubs": "/pengaturan-hub",
        "hub": f"/pengaturan-hub/{made['order']['hub']}",
        "programmes": "/program",
        "new-programme": "/program/baru",
    }


@pytest.mark.parametrize("width", ["phone", "desktop"])
async def test_screenshots_of_the_main_pages(signed_in, busy_hub, width):
    page = await signed_in(Role.admin, {"phone": PHONE, "desktop": DESKTOP}[width])
    failed = {}
    for name, path in main_pages(busy_hub).items():
        answer = await page.goto(path)
        await expect(page.locator("main")).to_be_visible()
        await screenshot(page, f"{name}-{width}")
        if answer.status >= 400:
            said = (await page.locator("main").inner_text()).splitlines()
            failed[path] = f"{answer.status} {' '.join(said[:3])}"
    assert not failed, failed

    # Last, as it changes the hub: the served order handed over, and its pick-up slip.
    await page.goto(main_pages(busy_hub)["handover"])
    await page.get_by_role("button", name="Serahkan").click()
    await expect(page.locator("article.slip")).to_be_visible()
    await screenshot(page, f"handover-slip-{width}")


async def test_every_buyers_page_at_both_widths_and_nothing_serious_for_axe(
    phone_pages, site: Site, whatsapp, client
):
    """Every page a buyer may see, errors and refusals too: photographed at 360×740 and
    1280×800, none wider than the phone, and audited by axe-core (run in the page by
    Playwright, so with scripts on)."""
    page, phone, axe, found = await phone_pages(javascript=True), new_phone(), Axe(), {}

    async def shown(name: str) -> None:
        results = await axe.run(page)
        assert results.response["testEngine"]["name"] == "axe-core", name
        found[name] = [
            f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        slug = name.replace(" ", "-")
        await fits(page, slug)  # and photographed at 360
        await page.set_viewport_size(DESKTOP)
        await screenshot(page, f"storefront/{slug}-1280")
        await page.set_viewport_size(PHONE)

    await page.goto("/")
    await shown("home")
    await page.get_by_role("link", name="Pesan Masker kain 3 lapis").click()
    await shown("order form")
    await page.get_by_role("button", name="Lanjut").click()
    await expect(page.get_by_role("alert")).to_contain_text("Ada masalah")
    await shown("order form with errors")
    await answers_checked(page, phone, "Ibu Tur Halaman")
    await shown("check answers")
    await page.get_by_role("button", name="Kirim kode ke HP saya").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ketik kode dari HP Anda")
    code_page = page.url
    await shown("phone code")
    await page.get_by_role("button", name="Lanjut").click()  # no code typed
    await expect(page.get_by_role("alert")).to_contain_text("Isi kode 6 angka")
    await shown("phone code with an error")
    await page.get_by_role("button", name="Kirim kode baru").click()  # before the minute is up
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Terlalu banyak permintaan kode"
    )
    await shown("too many codes")

    await page.goto(code_page)
    [code] = await codes_sent(whatsapp, phone)
    await code_typed(page, code)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Pesanan diterima")
    await shown("confirmation")
    tracking = await page.locator(".confirmation .code").inner_text()
    await page.goto(f"/lacak/{tracking}")
    await wait_until(lambda: placed(page), what="the order's place and estimated date")
    await shown("tracking queued")
    await deliver_what_waits(client, site)
    await reload_until(page, "Siap diambil")
    await shown("tracking set aside")
    next_in_line = await waiting_order(client, site, 2)  # takes what the cancel frees
    await page.get_by_role("button", name="Batalkan pesanan").click()
    await shown("cancel code")
    _, fresh = await codes_sent(whatsapp, phone, count=2)
    await code_typed(page, fresh)
    await expect(page.get_by_role("status")).to_have_text("Pesanan ini sudah dibatalkan.")
    await shown("tracking cancelled")
    await allocated(client, next_in_line)

    for path, name in [("/lacak", "find an order"), ("/lacak/00000-00000", "unknown code")]:
        await page.goto(path)
        await shown(name)
    await page.goto("/pesanan-saya")
    await shown("my orders phone")
    await my_orders_code_asked(page, phone)
    wrong = f"{(int((await codes_sent(whatsapp, phone, count=3))[-1]) + 1) % 1_000_000:06d}"
    for _ in range(5):
        await code_typed(page, wrong)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Kode salah terlalu sering")
    await shown("code locked")
    await page.goto("/pesanan-saya")
    await my_orders_code_asked(page, phone)
    await code_typed(page, (await codes_sent(whatsapp, phone, count=4))[-1])
    await expect(page.get_by_role("link", name=tracking)).to_be_visible()
    await shown("my orders")
    await page.get_by_role("link", name="English").click()
    await shown("my orders in English")

    assert found == {name: [] for name in found}


async def my_orders_code_asked(page: Page, phone: str) -> None:
    """From the form of "my orders", a code asked for the phone."""
    await page.get_by_label("Nomor HP").fill(phone)
    await page.get_by_role("button", name="Kirim kode").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ketik kode dari HP Anda")
