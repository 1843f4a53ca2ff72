"""The console's hub settings: an admin sets a hub's address, opening hours and whether the
buyers' site takes orders there; errors come back beside their fields with nothing typed lost;
other roles have no such page."""

import pytest

from services.console.accounts import Role
from tools.client import HubClient

FORM = {
    "address": "Jl. RTA Milono Km 1, Palangka Raya",
    "opens_mon": "08.00",
    "closes_mon": "15:00",
    "opens_fri": "08:00",
    "closes_fri": "11:30",
    "takes_site_orders": "ya",
}


async def test_an_admin_sets_where_and_when_and_opens_the_hub_to_the_site(
    console_as, client: HubClient, hub: str
):
    admin = await console_as(Role.admin)
    page = await admin.page(f"/pengaturan-hub/{hub}")
    assert 'name="opens_mon"' in page and 'name="takes_site_orders"' in page

    response = await admin.submit(f"/pengaturan-hub/{hub}", FORM)

    assert response.status == 303, response.status
    assert response.headers["Location"] == f"/pengaturan-hub?disimpan={hub}"
    saved = await client.call("intake", "GET", f"/v1/hubs/{hub}")
    assert saved["address"] == FORM["address"] and saved["takes_site_orders"] is True
    assert saved["opening_hours"] == [
        {"day": "mon", "opens": "08:00", "closes": "15:00"},
        {"day": "fri", "opens": "08:00", "closes": "11:30"},
    ]
    form = await admin.page(f"/pengaturan-hub/{hub}")
    assert 'value="08:00"' in form and 'value="11:30"' in form and " checked" in form
    listing = await admin.page("/pengaturan-hub")
    assert "Pengaturan hub" in listing


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        ({"closes_fri": ""}, "Jumat: isi jam buka dan jam tutup"),
        ({"closes_mon": "07:00"}, "jam tutup harus setelah jam buka"),
        ({"address": "", "takes_site_orders": "ya"}, "isi dulu alamat dan jam buka hub"),
        ({"address": "Jl. A\x07"}, "tidak boleh kosong atau berisi karakter kendali"),
    ],
)
async def test_errors_come_back_by_field_with_nothing_typed_lost(
    console_as, client: HubClient, hub: str, changes: dict, shown: str
):
    admin = await console_as(Role.admin)
    await admin.page(f"/pengaturan-hub/{hub}")
    typed = {**FORM, **changes}

    async with admin.http.post(
        f"/pengaturan-hub/{hub}", data={"csrf": admin.csrf, **typed}, allow_redirects=False
    ) as response:
        page = await response.text()

    assert response.status == 422, page
    assert shown in page
    assert 'value="11:30"' in page or changes.get("closes_fri") == ""
    unchanged = await client.call("intake", "GET", f"/v1/hubs/{hub}")
    assert unchanged["address"] is None and unchanged["takes_site_orders"] is False


@pytest.mark.parametrize("role", [Role.staff, Role.viewer])
async def test_only_admins_see_or_change_hubs(console_as, client: HubClient, hub: str, role):
    session = await console_as(role)
    await session.page("/pengaturan-hub", status=403)
    await session.page(f"/pengaturan-hub/{hub}", status=403)
    response = await session.submit(f"/pengaturan-hub/{hub}", FORM)
    assert response.status == 403
    assert (await client.call("intake", "GET", f"/v1/hubs/{hub}"))["address"] is None
