"""The buyers' site against the real stack: a buyer orders with a phone and a code from the
WhatsApp stand-in, and the order waits in the allocator's queue like any other; the code's
deadline, tries and limits; one order for a double submit; tracking that tells nobody which
codes exist.
"""

import asyncio
import re

from tests.support.provider_stubs import WhatsAppCloudStub
from tests.support.storefront import (
    Site,
    Visitor,
    codes_sent,
    deliver_what_waits,
    new_phone,
    order_answers,
    running_site,
)
from tools.client import FOUNDING_HUB_DETAILS, HubClient, wait_until

TRACKING = re.compile(r"^/lacak/([0-9A-Z]{5}-[0-9A-Z]{5})\?baru=1$")


async def order_through_the_site(visitor: Visitor, whatsapp: WhatsAppCloudStub, phone: str):
    """The whole path: form, check, code, right code; the tracking code."""
    code_page = await visitor.ask_for_code(phone)
    [code] = await codes_sent(whatsapp, phone)
    status, page, location = await visitor.post(code_page, {"kode": code})
    assert status == 303, page
    found = TRACKING.match(location)
    assert found, location
    return found.group(1)


async def queued(client: HubClient, site: Site, database, tracking: str) -> dict | None:
    """The order a tracking code stands for, once it waits in the allocator's queue."""
    order_id = await database.fetchval(
        "SELECT order_id FROM storefront.tracking_codes WHERE code = $1", tracking.replace("-", "")
    )
    waiting = (await client.queue(site.hub, site.sku))["orders"]
    return next((o for o in waiting if o["order_id"] == str(order_id)), None)


async def placed_for(database, code_page: str) -> int:
    return await database.fetchval(
        "SELECT count(*) FROM storefront.tracking_codes WHERE phone_check_id = $1::uuid",
        check_id_of(code_page),
    )


async def test_a_buyer_orders_with_a_phone_code_and_the_order_waits_in_the_queue(
    site, visitor, whatsapp, client, database
):
    phone = new_phone()
    tracking = await order_through_the_site(visitor, whatsapp, phone)

    waiting = await wait_until(
        lambda: queued(client, site, database, tracking), what="the order in the queue"
    )
    assert (waiting["quantity"], waiting["priority_class"]) == (3, "public")
    status, page = await visitor.get(f"/lacak/{tracking}?baru=1")
    assert status == 200
    assert "Pesanan diterima" in page and tracking in page
    assert "Menunggu dalam antrean" in page
    assert "<svg viewBox=" in page and f"/lacak/{tracking}</title>" in page  # its QR code
    assert "Ibu Sari" not in page and phone[-8:] not in page  # the code names nobody
    [sent] = [d for d in whatsapp.to(phone) if d.template == "plut_phone_code"]
    assert sent.parameters[0] == "Ibu Sari Lestari"


async def test_the_sites_logs_name_the_tracking_route_never_the_code(site, visitor, whatsapp):
    tracking = await order_through_the_site(visitor, whatsapp, new_phone())
    await visitor.get(f"/lacak/{tracking}")

    async def logged() -> str | None:
        text = site.process.log_path.read_text()
        return text if '"/lacak/{code}"' in text else None

    log = await wait_until(logged, what="the tracking page's request logged")
    assert tracking not in log and tracking.replace("-", "") not in log


def check_id_of(code_page: str) -> str:
    return code_page.rsplit("/", 1)[1]


async def age_check(database, code_page: str, *, sent_seconds_ago: int = 0, expired=False):
    """The check as it would be that much later (the site's clock is the database's)."""
    await database.execute(
        """
        UPDATE storefront.phone_checks
        SET sent_at = sent_at - make_interval(secs => $2),
            expires_at = CASE WHEN $3 THEN now() - interval '1 second' ELSE expires_at END
        WHERE id = $1::uuid
        """,
        check_id_of(code_page),
        sent_seconds_ago,
        expired,
    )


async def test_five_wrong_codes_lock_the_check_and_the_right_one_then_places_nothing(
    site, visitor, whatsapp, database
):
    phone = new_phone()
    code_page = await visitor.ask_for_code(phone)
    [code] = await codes_sent(whatsapp, phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    for left in (4, 3, 2, 1):
        status, page, _ = await visitor.post(code_page, {"kode": wrong})
        assert status == 400 and f"Sisa percobaan: {left}" in page
        assert "<title>Galat:" in page and "Ada masalah" in page and 'href="#kode"' in page
    status, page, _ = await visitor.post(code_page, {"kode": wrong})
    assert status == 403 and "Kode salah terlalu sering" in page
    status, page, location = await visitor.post(code_page, {"kode": code})
    assert (status, location) == (403, "") and "Kode salah terlalu sering" in page
    status, page, _ = await visitor.post(code_page + "/ulang", {})
    assert status == 403 and "Kode salah terlalu sering" in page
    status, page = await visitor.get(code_page)  # opened again: no form for a code
    assert status == 403 and "Kode salah terlalu sering" in page and 'name="kode"' not in page
    assert await placed_for(database, code_page) == 0


async def test_an_expired_code_places_nothing_and_a_new_one_comes_only_after_the_wait(
    site, visitor, whatsapp, database, client
):
    phone = new_phone()
    code_page = await visitor.ask_for_code(phone)
    [first] = await codes_sent(whatsapp, phone)

    status, page, _ = await visitor.post(code_page + "/ulang", {})
    assert status == 429 and "Coba lagi setelah" in page
    await age_check(database, code_page, expired=True)
    status, page, _ = await visitor.post(code_page, {"kode": first})
    assert status == 403 and "sudah kedaluwarsa" in page
    assert await placed_for(database, code_page) == 0

    await age_check(database, code_page, sent_seconds_ago=61)
    status, _, location = await visitor.post(code_page + "/ulang", {})
    assert (status, location) == (303, code_page + "?dikirim=1")
    first_again, second = await codes_sent(whatsapp, phone, count=2)
    assert first_again == first
    if second != first:
        status, page, _ = await visitor.post(code_page, {"kode": first})
        assert status == 400 and "Kode salah" in page
    status, _, location = await visitor.post(code_page, {"kode": second})
    tracking = TRACKING.match(location).group(1)
    await wait_until(lambda: queued(client, site, database, tracking), what="the order")


async def test_a_phone_gets_five_codes_an_hour_from_any_address_then_a_page_says_when(
    site, whatsapp
):
    phone = new_phone()
    for _ in range(5):
        visitor = Visitor(site)
        try:
            await visitor.ask_for_code(phone)
        finally:
            await visitor.close()
    await codes_sent(whatsapp, phone, count=5)

    visitor = Visitor(site)
    try:
        await visitor.get(visitor.form_path)
        status, page, _ = await visitor.post(visitor.form_path + "/kode", order_answers(phone))
    finally:
        await visitor.close()
    assert status == 429 and "Coba lagi setelah" in page and "WIB" in page
    assert len([d for d in whatsapp.to(phone) if d.template == "plut_phone_code"]) == 5


async def test_an_address_gets_thirty_codes_an_hour_then_a_page_says_when(site, visitor, whatsapp):
    phones = [new_phone() for _ in range(31)]
    for phone in phones[:30]:
        await visitor.ask_for_code(phone)

    status, page, _ = await visitor.post(visitor.form_path + "/kode", order_answers(phones[30]))
    assert status == 429 and "Coba lagi setelah" in page
    assert "menit lagi" in page
    await codes_sent(whatsapp, phones[29])
    assert not whatsapp.to(phones[30])


async def test_the_right_code_sent_twice_at_once_places_one_order(
    site, visitor, whatsapp, client, database
):
    phone = new_phone()
    code_page = await visitor.ask_for_code(phone)
    [code] = await codes_sent(whatsapp, phone)

    answers = await asyncio.gather(*(visitor.post(code_page, {"kode": code}) for _ in range(3)))

    assert {status for status, _, _ in answers} == {303}
    [location] = {location for _, _, location in answers}
    tracking = TRACKING.match(location).group(1)
    await wait_until(lambda: queued(client, site, database, tracking), what="the order")
    assert await placed_for(database, code_page) == 1
    # One order for the one check: the orders service kept one for the Idempotency-Key.
    [placed] = await database.fetch(
        "SELECT id FROM orders.orders WHERE hub = $1 AND buyer->>'phone' = $2", site.hub, phone
    )


async def test_unknown_malformed_and_other_partners_codes_get_the_same_page(
    site, visitor, client, partner_client, hub
):
    other = await partner_client.place_order(
        hub, "masker-kain", 2, {"name": "Dinkes", "type": "agency", "region": "Sampit"}
    )
    pages = []
    for code in ("ABCDE-12345", "not-a-code", other["id"], other["id"][:10].upper()):
        status, page = await visitor.get(f"/lacak/{code}")
        main = page[page.index("<main") : page.index("</main>")]
        pages.append((status, main))

    assert len(set(pages)) == 1
    assert pages[0][0] == 404 and "Kode pesanan tidak ditemukan" in pages[0][1]


async def test_a_filled_honeypot_sends_no_code(site, visitor, whatsapp, database):
    phone = new_phone()
    await visitor.get(visitor.form_path)

    status, page, _ = await visitor.post(
        visitor.form_path + "/kode", {**order_answers(phone), "situs_web": "http://spam.example"}
    )

    assert status == 400 and "Formulir tidak dapat dibaca" in page
    assert (
        await database.fetchval(
            "SELECT count(*) FROM storefront.phone_checks WHERE phone = $1", phone
        )
        == 0
    )


async def test_a_wrong_form_comes_back_with_its_errors_named_and_nothing_typed_lost(site, visitor):
    await visitor.get(visitor.form_path)
    typed = order_answers("0812", quantity="banyak", name="Ibu Ani", email="bukan-email")

    status, page, _ = await visitor.post(visitor.form_path, typed)

    assert status == 400
    assert "<title>Galat:" in page and "Ada masalah" in page
    for field in ("quantity", "phone", "email"):
        assert f'href="#{field}"' in page and f'id="{field}-error"' in page
    for value in ('value="banyak"', 'value="Ibu Ani"', 'value="bukan-email"', 'value="0812"'):
        assert value in page
    assert 'href="#name"' not in page


async def test_oversized_and_malformed_forms_get_a_clear_page(site, visitor):
    await visitor.get(visitor.form_path)
    answers = [
        await visitor.post(visitor.form_path, {"name": "x" * 20_000}),
        await visitor.post(visitor.form_path, {"quantity": "\x00", "phone": "\ud7ff" * 50}),
    ]
    async with visitor.http.post(
        visitor.form_path, json={"csrf": visitor.token}, allow_redirects=False
    ) as response:
        answers.append((response.status, await response.text(), ""))
    async with visitor.http.post(
        visitor.form_path,
        data=b"csrf=" + visitor.token.encode() + b"&name=%ff%fe",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ) as response:
        answers.append((response.status, await response.text(), ""))

    statuses = [status for status, _, _ in answers]
    assert statuses[0] == 413 and "Isian terlalu panjang" in answers[0][1]
    assert all(400 <= status < 500 for status in statuses), statuses
    assert all("<!doctype html>" in page for _, page, _ in answers)


async def test_my_orders_lists_the_phones_orders_once_a_code_sent_to_it_is_typed(
    site, visitor, whatsapp
):
    phone = new_phone()
    tracking = await order_through_the_site(visitor, whatsapp, phone)
    await visitor.get("/pesanan-saya")

    status, _, code_page = await visitor.post("/pesanan-saya", {"phone": phone})
    assert status == 303
    _, code = await codes_sent(whatsapp, phone, count=2)
    status, _, listing = await visitor.post(code_page, {"kode": code})
    assert status == 303 and listing.startswith("/pesanan-saya/")

    status, page = await visitor.get(listing)
    assert status == 200 and tracking in page
    assert " WIB</span>" in page, "placed when, in the hub's zone"
    stranger = Visitor(site)
    try:
        status, page = await stranger.get(listing)
    finally:
        await stranger.close()
    assert status == 404 and tracking not in page


async def test_a_phone_not_on_whatsapp_gets_its_code_by_sms(site, visitor, whatsapp, sms):
    phone = new_phone()
    whatsapp.not_on_whatsapp.add(phone.lstrip("+"))
    code_page = await visitor.ask_for_code(phone)

    [text] = await wait_until(
        lambda: asyncio.sleep(0, [d.text for d in sms.to(phone)]), what="the code by SMS"
    )
    code = re.search(r"\b([0-9]{6})\b", text).group(1)
    status, _, location = await visitor.post(code_page, {"kode": code})

    assert status == 303 and TRACKING.match(location)
    assert "jangan berikan" in text.lower()


async def test_an_order_the_orders_service_refuses_is_a_page_saying_why(
    stack, tmp_path_factory, whatsapp
):
    """A site whose key may only read: the order is refused, and the buyer is told."""
    log_dir = tmp_path_factory.mktemp("storefront-reader")
    async with running_site(stack, log_dir, scopes=["orders:read"]) as reading:
        visitor = Visitor(reading)
        try:
            phone = new_phone()
            code_page = await visitor.ask_for_code(phone)
            [code] = await codes_sent(whatsapp, phone)
            status, page, _ = await visitor.post(code_page, {"kode": code})
            again, _, _ = await visitor.post(code_page, {"kode": code})
        finally:
            await visitor.close()

    assert status == again == 403
    assert "Pesanan tidak dapat dibuat" in page and "orders:write" in page


async def test_an_order_is_cancelled_from_its_page_with_a_fresh_code_to_its_phone(
    site, visitor, whatsapp
):
    phone = new_phone()
    tracking = await order_through_the_site(visitor, whatsapp, phone)
    status, page = await visitor.get(f"/lacak/{tracking}")
    assert status == 200 and "Batalkan pesanan" in page

    stranger = Visitor(site)  # knows the code, not the phone
    try:
        _, strangers_page = await stranger.get(f"/lacak/{tracking}")
        # One page for both (rendered.py), each with their own form token.
        assert stranger.token and stranger.token != visitor.token
        assert strangers_page.replace(stranger.token, visitor.token) == page
        status, _, strangers_code_page = await stranger.post(f"/lacak/{tracking}/batal", {})
    finally:
        await stranger.close()
    assert status == 303
    await codes_sent(whatsapp, phone, count=2)  # the stranger's went to the buyer's phone
    status, _, code_page = await visitor.post(f"/lacak/{tracking}/batal", {})
    assert status == 303 and code_page != strangers_code_page
    _, _, fresh = await codes_sent(whatsapp, phone, count=3)
    status, page = await visitor.get(code_page)
    assert "Kode ini untuk membatalkan pesanan" in page and tracking in page

    status, _, location = await visitor.post(code_page, {"kode": fresh})
    assert (status, location) == (303, f"/lacak/{tracking}?batal=1")
    status, page = await visitor.get(location)
    assert "Dibatalkan" in page and "Pesanan ini sudah dibatalkan" in page
    assert "Batalkan pesanan" not in page
    status, page, _ = await visitor.post(f"/lacak/{tracking}/batal", {})
    assert status == 409 and "tidak bisa dibatalkan lagi" in page


async def test_a_delivery_shows_on_the_orders_page_with_its_units_and_the_time_to_collect_by(
    site, visitor, whatsapp, client, database
):
    tracking = await order_through_the_site(visitor, whatsapp, new_phone())
    await wait_until(lambda: queued(client, site, database, tracking), what="the order")
    await deliver_what_waits(client, site)

    async def ready_to_collect() -> str | None:
        _, page = await visitor.get(f"/lacak/{tracking}")
        return page if "Siap diambil" in page else None

    page = await wait_until(ready_to_collect, what="the units on the order's page")
    assert re.search(r"Unit disiapkan</dt><dd>3\b", page)
    assert re.search(r"Ambil paling lambat</dt><dd><strong>\d+ \w+ \d{4} \d\d:\d\d WIB", page)
    # Beside it, where and when: the hub's address and hours, as operators set them in intake.
    assert FOUNDING_HUB_DETAILS["address"] in page
    assert "Senin–Kamis: 08.00–15.00<br>Jumat: 08.00–11.30" in page
    assert "Tempat di antrean" not in page  # no longer waiting


async def test_the_code_shown_is_the_orders_services_and_opens_the_order(
    site, visitor, whatsapp, database
):
    tracking = await order_through_the_site(visitor, whatsapp, new_phone())

    kept = await database.fetchval(
        "SELECT o.code FROM orders.orders o JOIN storefront.tracking_codes t ON t.order_id = o.id"
        " WHERE t.code = $1",
        tracking.replace("-", ""),
    )
    assert kept == tracking.replace("-", "")


async def test_a_counter_or_partners_order_opens_by_its_code_but_is_cancelled_elsewhere(
    site, visitor, client: HubClient
):
    buyer = {"name": "Ibu Rina", "type": "individual", "region": "Sampit", "phone": new_phone()}
    placed = await client.place_order(site.hub, site.sku, 2, buyer)  # as the counter does

    status, page = await visitor.get(f"/lacak/{placed['code'].lower().replace('-', ' ')}")

    assert status == 200 and placed["code"] in page and "Menunggu dalam antrean" in page
    assert "Ibu Rina" not in page and "Batalkan pesanan" not in page
    assert "hubungi loket PLUT" in page
    await visitor.get(visitor.form_path)  # a page with a form: its token, for the post below
    status, page, _ = await visitor.post(f"/lacak/{placed['code']}/batal", {})
    assert status == 409 and "hubungi loket PLUT" in page


async def test_a_code_this_site_drew_before_still_opens_its_order(
    site, visitor, whatsapp, database
):
    tracking = await order_through_the_site(visitor, whatsapp, new_phone())
    drawn_before = "7K3QDM9X2A" if tracking != "7K3QD-M9X2A" else "7K3QDM9X2B"
    await database.execute(
        "UPDATE storefront.tracking_codes SET code = $1, drawn_here = true WHERE code = $2",
        drawn_before,
        tracking.replace("-", ""),
    )

    status, page = await visitor.get("/lacak/7K3QD-" + drawn_before[5:])

    assert status == 200 and tracking in page and "Batalkan pesanan" in page


async def test_a_visitor_sending_wrong_codes_waits_and_others_go_on(
    stack, tmp_path_factory, client: HubClient
):
    log_dir = tmp_path_factory.mktemp("storefront-guesses")
    async with running_site(stack, log_dir, site_env={"GUESS_FREE_FAILURES": "3"}) as guarded:
        buyer = {"name": "Ibu Rina", "type": "individual", "region": "Sampit"}
        placed = await client.place_order(guarded.hub, guarded.sku, 1, buyer)
        guessing, other = Visitor(guarded), Visitor(guarded)
        try:
            for n in range(4):
                status, _ = await guessing.get(f"/lacak/ZZZZZ-{n:05d}")
                assert status == 404
            waited, page = await guessing.get(f"/lacak/{placed['code']}")
            others, _ = await other.get(f"/lacak/{placed['code']}")
        finally:
            await guessing.close()
            await other.close()

    assert waited == 429 and "Terlalu banyak kode yang salah" in page
    assert others == 200
