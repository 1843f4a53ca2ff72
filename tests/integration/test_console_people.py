"""The console's producers, orders and partners pages: what staff, viewers and admins may see and
do, all through the services' APIs."""

import random
import re
import uuid

from services.console.accounts import Role

SKU = "masker-kain"


def new_phone() -> str:
    return "0812" + "".join(random.choices("0123456789", k=8))


def international(phone: str) -> str:
    return "+62" + phone[1:]


def producer_fields(**changes: str) -> dict:
    fields = {
        "name": f"Ibu Sari {uuid.uuid4().hex[:6]}",
        "phone": new_phone(),
        "regency": "Kapuas",
        "email": "",
        "language": "id",
        "channel": "",
    }
    return {**fields, **changes}


async def register(session, fields: dict) -> str:
    await session.page("/produsen/baru")
    made = await session.submit("/produsen/baru", fields)
    assert made.status == 303, made.status
    found = re.fullmatch(r"/produsen/([0-9a-f-]{36})\?tersimpan=baru", made.headers["Location"])
    assert found, made.headers["Location"]
    return found.group(1)


async def test_an_admin_creates_a_partner_sees_its_key_once_rotates_and_revokes(
    console_as, hub: str
):
    admin = await console_as(Role.admin)
    home = await admin.page("/mitra")
    assert 'href="/mitra"' in home
    name = f"Mitra {uuid.uuid4().hex[:6]}"
    made = await admin.submit(
        "/mitra", {"name": name, "hubs": hub, "scopes": "orders:read", "requests_per_minute": "60"}
    )
    assert made.status == 303
    shown_at = made.headers["Location"]
    first = await admin.page(shown_at)
    key = re.search(r'<code class="secret">(plut_[^<]+)</code>', first)
    assert key, first[:3000]
    assert "Salin sekarang" in first
    again = await admin.page(shown_at)
    assert key.group(1) not in again  # shown once only

    partner_id = re.search(r'id="mitra-([0-9a-f-]{36})"[^>]*>\s*<h2>' + name, again).group(1)
    rotated = await admin.submit(f"/mitra/{partner_id}/kunci", {"name": name, "grace_hours": "0"})
    assert rotated.status == 303
    new_key = re.search(
        r'<code class="secret">(plut_[^<]+)</code>', await admin.page(rotated.headers["Location"])
    ).group(1)
    assert new_key != key.group(1)

    prefix = new_key.split("_")[1]
    revoked = await admin.submit(f"/mitra/{partner_id}/kunci/{prefix}/cabut", {})
    assert revoked.status == 303
    page = await admin.page("/mitra")
    card = page.split(f'id="mitra-{partner_id}"')[1].split("</section>")[0]
    row = next(r for r in card.split("<tr>") if prefix in r)
    assert "Cabut sekarang" not in row  # revoked: nothing left to revoke


async def test_staff_get_403_on_partners_and_do_not_see_the_link(console_as):
    staff = await console_as(Role.staff)
    home = await staff.page("/pesanan")
    assert 'href="/mitra"' not in home
    await staff.page("/mitra", status=403)
    refused = await staff.submit("/mitra", {"name": "x", "hubs": "y", "scopes": "orders:read"})
    assert refused.status == 403
