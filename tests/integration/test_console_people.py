"""The console's producers, orders and partners pages: what staff, viewers and admins may see and
do, all through the services' APIs."""

import random
import re
import uuid

from services.console.accounts import Role
from tools.client import HubClient, wait_until

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


async def test_a_producer_registered_through_the_form_is_found_by_phone_and_edited(console_as):
    staff = await console_as(Role.staff)
    fields = producer_fields()
    producer_id = await register(staff, fields)

    page = await staff.page(f"/produsen/{producer_id}?tersimpan=baru")
    assert fields["name"] in page and "Produsen terdaftar." in page

    found = await staff.page(f"/produsen?q={fields['phone']}")
    assert f'href="/produsen/{producer_id}"' in found and fields["name"] in found

    form = await staff.page(f"/produsen/{producer_id}/ubah")
    assert f'value="{fields["name"]}"' in form
    edited = await staff.submit(
        f"/produsen/{producer_id}/ubah", {**fields, "regency": "Pulang Pisau"}
    )
    assert edited.status == 303
    assert edited.headers["Location"] == f"/produsen/{producer_id}?tersimpan=ubah"
    page = await staff.page(f"/produsen/{producer_id}")
    assert "Pulang Pisau" in page

    await staff.page(f"/bahasa?ke=en&next=/produsen/{producer_id}")
    english = await staff.page(f"/produsen/{producer_id}")
    assert "Units sold and earnings" in english and "Report a shortage" in english


async def test_a_bad_phone_shows_the_field_error_and_registers_nothing(console_as):
    staff = await console_as(Role.staff)
    fields = producer_fields(phone="bukan-nomor")
    await staff.page("/produsen/baru")
    refused = await staff.submit("/produsen/baru", fields)
    assert refused.status == 422
    async with staff.http.post("/produsen/baru", data={"csrf": staff.csrf, **fields}) as again:
        html = await again.text()
    assert 'id="phone-error"' in html
    assert f'value="{fields["name"]}"' in html  # what was typed stays in the form
    found = await staff.page(f"/produsen?q={fields['name']}")
    assert "Ditemukan: 0<" in found


async def test_shortages_are_summed_by_material_and_regency_and_resolved(console_as):
    staff = await console_as(Role.staff)
    regency = f"Katingan {uuid.uuid4().hex[:4]}"
    first = await register(staff, producer_fields(regency=regency))
    second = await register(staff, producer_fields(regency=regency))
    for producer_id, amount in ((first, "20"), (second, "15")):
        await staff.page(f"/produsen/{producer_id}")
        reported = await staff.submit(
            f"/produsen/{producer_id}/kekurangan",
            {"material": "karet", "amount": amount, "unit": "m"},
        )
        assert reported.status == 303, reported.status

    page = await staff.page("/produsen")
    summary = page.split('id="ringkasan-kekurangan"')[1].split("</section>")[0]
    row = next(r for r in summary.split("<tr>") if regency in r)
    assert "karet" in row and ">35<" in row and ">m<" in row

    producer_page = await staff.page(f"/produsen/{first}")
    shortage_id = re.search(r'action="/kekurangan/([^/]+)/selesai"', producer_page).group(1)
    resolved = await staff.submit(
        f"/kekurangan/{shortage_id}/selesai", {"next": f"/produsen/{first}"}
    )
    assert resolved.status == 303 and resolved.headers["Location"] == f"/produsen/{first}"
    page = await staff.page("/produsen")
    summary = page.split('id="ringkasan-kekurangan"')[1].split("</section>")[0]
    row = next(r for r in summary.split("<tr>") if regency in r)
    assert ">15<" in row


async def test_a_shortage_without_an_amount_is_refused_naming_the_field(console_as):
    staff = await console_as(Role.staff)
    producer_id = await register(staff, producer_fields())
    await staff.page(f"/produsen/{producer_id}")
    async with staff.http.post(
        f"/produsen/{producer_id}/kekurangan",
        data={"csrf": staff.csrf, "material": "kain", "amount": "", "unit": "m"},
    ) as refused:
        assert refused.status == 422
        assert 'id="amount-error"' in await refused.text()


async def test_an_order_found_by_buyer_name_shows_its_history_and_messages(
    console_as, client: HubClient, hub: str
):
    name = f"Pak Budi {uuid.uuid4().hex[:6]}"
    buyer = {"name": name, "type": "individual", "region": "Palangka Raya"}
    order = await client.place_order(hub, SKU, 3, {**buyer, "phone": international(new_phone())})
    await wait_until(lambda: _settled(client, order["id"]), what="a message sent about the order")

    staff = await console_as(Role.staff)
    found = await staff.page(f"/pesanan?q={name}")
    assert f'href="/pesanan/{order["id"]}"' in found

    page = await staff.page(f"/pesanan/{order['id']}")
    assert name in page and "Riwayat" in page
    history = page.split("Riwayat")[1].split("</section>")[0]
    assert "<td>" in history  # at least the order's placing
    messages = page.split("Pesan tentang pesanan ini")[1]
    assert "order_received" in messages and "whatsapp" in messages


async def _settled(client: HubClient, order_id: str) -> bool:
    messages = await client.messages(order_id=order_id)
    return any(m["status"] != "pending" and m["attempts"] for m in messages)


async def test_an_admin_creates_a_partner_sees_its_key_once_rotates_and_revokes(
    console_as, hub: str
):
    admin = await console_as(Role.admin)
    home = await admin.page("/mitra")
    assert 'href="/mitra"' in home
    # Opening any order by its code is offered, never ticked for a new partner.
    assert 'value="orders:track">' in home and 'value="orders:read" checked>' in home
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


async def test_a_viewer_sees_no_forms_and_a_viewers_post_is_refused(console_as, client, hub):
    staff = await console_as(Role.staff)
    producer_id = await register(staff, producer_fields())
    viewer = await console_as(Role.viewer)

    listing = await viewer.page("/produsen")
    assert "/produsen/baru" not in listing
    page = await viewer.page(f"/produsen/{producer_id}")
    assert "/kekurangan" not in page and "/ubah" not in page
    await viewer.page("/produsen/baru", status=403)
    for path, fields in (
        ("/produsen/baru", producer_fields()),
        (f"/produsen/{producer_id}/ubah", producer_fields()),
        (f"/produsen/{producer_id}/kekurangan", {"material": "karet", "amount": "1"}),
        ("/mitra", {"name": "x"}),
    ):
        refused = await viewer.submit(path, fields)
        assert refused.status == 403, path


async def test_an_admin_sees_a_partners_failed_callback_and_replays_it(
    console_as, client: HubClient, hub: str, partners_called_back
):
    bank = await partners_called_back()
    bank.endpoint.failing = True
    buyer = {"name": "Koperasi Maju", "type": "business", "region": "Sampit"}
    order = await bank.client.place_order(hub, "masker-kain", 1, buyer)
    producer = await client.register_producer(
        hub, name="Ibu Rina", phone="081298765432", regency="Kapuas"
    )
    await client.record_delivery(hub, producer["id"], "masker-kain", 1)

    async def given_up():
        return (await bank.client.callbacks("failed"))["callbacks"]

    [failed] = await wait_until(given_up, what="the callback given up")
    admin = await console_as(Role.admin)
    html = await admin.page("/mitra")
    assert f"/mitra/callback/{failed['id']}/ulang" in html
    assert order["id"][:8] in html

    bank.endpoint.failing = False
    replayed = await admin.submit(f"/mitra/callback/{failed['id']}/ulang", {})
    assert (replayed.status, replayed.headers["Location"]) == (303, "/mitra?selesai=ulang")
    [arrived] = await bank.endpoint.wait_for(1)
    assert arrived["id"] == failed["id"]
