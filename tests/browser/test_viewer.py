"""A viewer sees the counter and the queue but can change nothing: no forms, and a POST forced
past the page (with the session's own CSRF token) is refused with 403."""

import re
from urllib.parse import quote

import pytest
from playwright.async_api import Page, expect

from services.console.accounts import Role
from tests.browser import making
from tests.browser.making import SKU

pytestmark = pytest.mark.browser


def changing_forms(page: Page):
    """POST forms in the page's main part (the header's sign-out and hub switch are anyone's)."""
    return page.locator("main form[method=post]")


async def test_a_viewer_can_change_nothing(signed_in, client, hub):
    seller = await making.producer(client, hub, "Ibu Nur Lihat")
    order = await making.waiting_order(client, hub, "Puskesmas Lihat", 3)
    await client.record_delivery(hub, seller["id"], SKU, 3)
    await making.status_becomes(client, order["id"], "allocated")
    page = await signed_in(Role.viewer, then=f"/loket?q={quote(seller['phone'])}")

    await expect(page.get_by_role("heading", name=re.compile("Ibu Nur Lihat"))).to_be_visible()
    await expect(page.get_by_text("Hanya petugas yang boleh mencatat setoran.")).to_be_visible()
    await expect(changing_forms(page)).to_have_count(0)
    csrf = await page.locator("input[name=csrf]").first.input_value()

    await page.goto(f"/antrean?sku={SKU}")
    await expect(page.get_by_role("row", name=re.compile("Puskesmas Lihat"))).to_be_visible()
    await expect(changing_forms(page)).to_have_count(0)
    await expect(
        page.get_by_role("button", name=re.compile("Diambil|Batalkan|Simpan"))
    ).to_have_count(0)

    # The same requests the staff's forms make, with this session's cookie and CSRF token.
    forced = {
        "/loket": {"producer_id": seller["id"], "sku": SKU, "quantity": "5", "rejected": "0"},
        f"/antrean/{order['id']}/diambil": {"sku": SKU},
        f"/antrean/{order['id']}/batal": {"sku": SKU},
        "/antrean/kebijakan": {"sku": SKU, "mode": "lottery", "hold_hours": "1"},
    }
    for path, fields in forced.items():
        answer = await page.request.post(path, form={"csrf": csrf, **fields}, max_redirects=0)
        assert answer.status == 403, f"a viewer's POST {path} got {answer.status}"
    assert (await client.order(order["id"]))["status"] == "allocated"
    assert (await client.policy(hub, SKU))["mode"] != "lottery"
    deliveries = await client.call(
        "intake", "GET", f"/v1/producers/{seller['id']}/deliveries", headers=client.as_operator()
    )
    assert deliveries["total"] == 1
