"""The console's order windows: the admin opens one in the hub's own time and closes it; every
operator reads it with the units ordered so far; a viewer may not open one."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.console.accounts import Role
from tools.client import ApiError, HubClient

BUYER = {"name": "Dinas Kesehatan Kapuas", "type": "agency", "region": "Kuala Kapuas"}


def local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m-%dT%H:%M")


async def test_an_admin_opens_a_window_that_operators_read_with_its_orders(
    console_as, client: HubClient, hub: str
):
    admin = await console_as(Role.admin)
    await admin.page("/jendela-pesan")
    now = datetime.now(ZoneInfo("Asia/Jakarta"))
    form = {
        "sku": "masker-kain",
        "opens_at": local(now - timedelta(hours=1)),
        "closes_at": local(now + timedelta(days=3)),
        "cap": "4",
    }

    response = await admin.submit("/jendela-pesan", form)

    assert response.status == 303, response.status
    await client.place_order(hub, "masker-kain", 3, BUYER)
    with pytest.raises(ApiError) as full:
        await client.place_order(hub, "masker-kain", 2, BUYER)
    assert full.value.body["type"] == "/problems/window-full"
    viewer = await console_as(Role.viewer)
    page = await viewer.page("/jendela-pesan")
    assert "masker-kain" in page and "<strong>3</strong> / 4" in page
    assert 'action="/jendela-pesan"' not in page  # no form for a viewer
    assert (await viewer.submit("/jendela-pesan", form)).status == 403

    window_id = (
        await client.call(
            "orders", "GET", f"/v1/order-windows?hub={hub}", headers=client.as_operator()
        )
    )["windows"][0]["id"]
    assert (await admin.submit(f"/jendela-pesan/{window_id}/tutup", {})).status == 303
    assert "ditutup" in await admin.page("/jendela-pesan")


async def test_a_wrong_window_comes_back_beside_its_field(console_as, hub: str):
    admin = await console_as(Role.admin)
    await admin.page("/jendela-pesan")
    form = {"sku": "masker-kain", "opens_at": "2030-01-02T08:00", "closes_at": "2030-01-01T08:00"}

    fields = {"csrf": admin.csrf, **form, "cap": "0"}
    async with admin.http.post("/jendela-pesan", data=fields, allow_redirects=False) as response:
        status, html = response.status, await response.text()

    assert status == 422
    assert 'id="cap-error"' in html and 'value="2030-01-02T08:00"' in html  # nothing typed lost
