"""The buyers' site in a real browser at 360×740 with JavaScript off: the home page, a form sent
back with its errors, the answers checked, the code read from the WhatsApp stand-in, the order's
tracking page; each page at most 60 KB with its stylesheet, and none wider than the phone."""

import re

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP, PHONE, TIMEOUT_MS, screenshot
from tests.support.storefront import Site, codes_sent, new_address, new_phone, running_site

pytestmark = pytest.mark.browser
PAGE_BUDGET = 60 * 1024


@pytest.fixture(scope="module")
async def site(stack, tmp_path_factory) -> Site:
    async with running_site(stack, tmp_path_factory.mktemp("storefront-browser")) as running:
        yield running


@pytest.fixture
async def phone_pages(browser: Browser, site: Site):
    """`await phone_pages(javascript=False)`: a phone's browser, counting the bytes each page
    brings."""
    contexts = []

    async def make(javascript: bool) -> Page:
        context = await browser.new_context(
            base_url=site.url,
            viewport=PHONE,
            java_script_enabled=javascript,
            locale="id-ID",
            extra_http_headers={"X-Forwarded-For": new_address()},
        )
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        page = await context.new_page()
        page.weights = {}

        async def weigh(response) -> None:
            if response.request.resource_type in ("document", "stylesheet") and not (
                300 <= response.status < 400
            ):
                page.weights[response.url] = len(await response.body())

        page.on("response", weigh)
        return page

    yield make
    for context in contexts:
        await context.close()


async def fits(page: Page, name: str) -> None:
    """No wider than the phone, within the budget with its stylesheet; photographed."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} is {width}px wide"
    await page.wait_for_load_state()
    document = page.weights.get(page.url, 0)
    stylesheet = sum(
        size for url, size in page.weights.items() if url.endswith(".css") or ".css?" in url
    )
    assert 0 < document and document + stylesheet < PAGE_BUDGET, (name, document, stylesheet)
    await screenshot(page, f"storefront/{name}-360")


async def test_a_buyer_orders_on_a_phone_without_javascript_and_follows_the_order(
    phone_pages, site: Site, whatsapp
):
    page, phone = await phone_pages(javascript=False), new_phone()
    await page.goto("/")
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Pesan lebih dulu, ambil di hub"
    )
    await expect(page.get_by_text("Pesanan menunggu")).to_be_visible()
    await fits(page, "home")

    await page.get_by_role("link", name="Pesan Masker kain 3 lapis").click()
    await page.get_by_role("button", name="Lanjut").click()  # nothing filled in
    await expect(page).to_have_title(re.compile("^Galat: "))
    summary = page.get_by_role("alert")
    await expect(summary).to_contain_text("Ada masalah")
    await expect(summary.get_by_role("link", name="Isi nomor HP Anda")).to_have_attribute(
        "href", "#phone"
    )
    await fits(page, "order-errors")

    await page.get_by_label("Jumlah unit").fill("2")
    await page.get_by_label("Nama (orang atau lembaga)").fill("Bapak Yohanes Uji")
    await page.get_by_label("Jenis pembeli").select_option("individual")
    await page.get_by_label("Kabupaten/kota").fill("Kapuas")
    await page.get_by_label("Nomor HP").fill(phone)
    await page.get_by_role("button", name="Lanjut").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Periksa pesanan Anda")
    await expect(page.get_by_text("Bapak Yohanes Uji")).to_be_visible()
    await fits(page, "check-answers")

    await page.get_by_role("button", name="Kirim kode ke HP saya").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ketik kode dari HP Anda")
    await fits(page, "code")
    [code] = await codes_sent(whatsapp, phone)
    await page.get_by_label("Kode", exact=True).fill(code)
    await page.get_by_role("button", name="Lanjut").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Pesanan diterima")
    tracking = await page.locator(".confirmation .code").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", tracking)
    await expect(page.get_by_text("Menunggu dalam antrean")).to_be_visible()
    await fits(page, "tracking")

    await page.goto("/lacak")
    await page.get_by_label("Kode pesanan").fill(tracking.lower().replace("-", " "))
    await page.get_by_role("button", name="Lacak").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(tracking)
    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_text("Waiting in the queue")).to_be_visible()
    await fits(page, "tracking-en")


async def test_axe_finds_nothing_serious_on_any_public_page(phone_pages, site: Site, whatsapp):
    """axe-core (run in the page by Playwright, so with scripts on) on every page a buyer may
    see, errors shown; each page photographed at 360×740 and 1280×800."""
    page, phone, axe, found = await phone_pages(javascript=True), new_phone(), Axe(), {}

    async def audit(name: str) -> None:
        results = await axe.run(page)
        assert results.response["testEngine"]["name"] == "axe-core", name
        serious = [
            f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        found[name] = serious
        # Every page photographed at both widths, for the README and for review.
        slug = name.replace(" ", "-")
        await screenshot(page, f"storefront/{slug}-360")
        await page.set_viewport_size(DESKTOP)
        await screenshot(page, f"storefront/{slug}-1280")
        await page.set_viewport_size(PHONE)

    await page.goto("/")
    await audit("home")
    await page.goto(f"/pesan/{site.hub}/{site.sku}")
    await audit("order form")
    await page.get_by_role("button", name="Lanjut").click()
    await audit("order form with errors")
    await page.get_by_label("Jumlah unit").fill("1")
    await page.get_by_label("Nama (orang atau lembaga)").fill("Ibu Axe")
    await page.get_by_label("Jenis pembeli").select_option("business")
    await page.get_by_label("Kabupaten/kota").fill("Katingan")
    await page.get_by_label("Nomor HP").fill(phone)
    await page.get_by_role("button", name="Lanjut").click()
    await audit("check answers")
    await page.get_by_role("button", name="Kirim kode ke HP saya").click()
    await page.get_by_role("button", name="Lanjut").click()  # no code typed
    await audit("code with an error")
    [code] = await codes_sent(whatsapp, phone)
    await page.get_by_label("Kode", exact=True).fill(code)
    await page.get_by_role("button", name="Lanjut").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Pesanan diterima")
    await audit("tracking")
    for path, name in [
        ("/lacak", "find an order"),
        ("/lacak/00000-00000", "unknown code"),
        ("/pesanan-saya", "my orders"),
    ]:
        await page.goto(path)
        await audit(name)
    await page.get_by_role("link", name="English").click()
    await audit("my orders in English")

    assert found == {name: [] for name in found}
