"""Every main page at phone and desktop width, full length, kept as artefacts to look at; each
must answer without an error. One signed-in admin (who sees every page) visits them all."""

from urllib.parse import quote

import pytest
from playwright.async_api import expect

from services.console.accounts import Role
from tests.browser import making
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.browser.making import SKU

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
