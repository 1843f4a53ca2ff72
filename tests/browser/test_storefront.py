"""The buyers' site in a real browser at 360×740, with JavaScript off and on: the home page, a
form sent back with its errors, the answers checked, the code read from the WhatsApp stand-in,
the confirmation and the tracking page with the order's place and estimated date; a delivery
arrives and the page shows the units set aside and the time to collect them by; the order is
cancelled with a fresh code. Five wrong codes lock the check. Each page at most 60 KB with its
stylesheet and script, and none wider than the phone."""

import re

import pytest
from playwright.async_api import expect

from tests.browser.buying import (
    DAY,
    TRACKING_CODE,
    answers_checked,
    code_typed,
    figure,
    fits,
    order_form_sent,
    placed,
    reload_until,
)
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
JAVASCRIPT = pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])


@JAVASCRIPT
async def test_a_buyer_orders_follows_the_order_until_it_is_set_aside_and_cancels_it(
    phone_pages, site: Site, whatsapp, client, javascript
):
    page, phone = await phone_pages(javascript), new_phone()
    js = "js" if javascript else "nojs"
    await page.goto("/")
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Pesan lebih dulu, ambil di hub"
    )
    await expect(page.get_by_text("Pesanan menunggu")).to_be_visible()
    await fits(page, f"{js}-home")

    await page.get_by_role("link", name="Pesan Masker kain 3 lapis").click()
    await page.get_by_role("button", name="Lanjut").click()  # nothing filled in
    await expect(page).to_have_title(re.compile("^Galat: "))
    summary = page.get_by_role("alert")
    await expect(summary).to_contain_text("Ada masalah")
    if javascript:  # the page starts at what is wrong (without it, role=alert tells)
        await expect(summary).to_be_focused()
    await expect(summary.get_by_role("link", name="Isi nomor HP Anda")).to_have_attribute(
        "href", "#phone"
    )
    await fits(page, f"{js}-order-errors")

    await order_form_sent(page, phone, "Bapak Yohanes Uji")
    code_box = page.get_by_label("Kode", exact=True)
    await expect(code_box).to_have_attribute("inputmode", "numeric")
    await expect(code_box).to_have_attribute("autocomplete", "one-time-code")
    await fits(page, f"{js}-code")
    [code] = await codes_sent(whatsapp, phone)
    await code_typed(page, code)

    await expect(page.get_by_role("heading", level=1)).to_have_text("Pesanan diterima")
    tracking = await page.locator(".confirmation .code").inner_text()
    assert TRACKING_CODE.fullmatch(tracking), tracking
    await expect(page.get_by_text("Menunggu dalam antrean")).to_be_visible()
    await fits(page, f"{js}-confirmation")

    # Found again by its code as a buyer would type it; its place once the allocator has it.
    await page.goto("/lacak")
    await page.get_by_label("Kode pesanan").fill(tracking.lower().replace("-", " "))
    await page.get_by_role("button", name="Lacak").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(tracking)
    await wait_until(lambda: placed(page), what="the order's place and estimated date on its page")
    await expect(figure(page, "Tempat di antrean")).to_have_text(re.compile(r"^\d+$"))
    await expect(figure(page, "Perkiraan dilayani")).to_have_text(DAY)
    await fits(page, f"{js}-tracking-queued")

    await deliver_what_waits(client, site)
    await reload_until(page, "Siap diambil")
    await expect(figure(page, "Unit disiapkan")).to_have_text("2")
    await expect(figure(page, "Ambil paling lambat")).to_have_text(
        re.compile(r"^\d{1,2} \w+ \d{4} \d\d:\d\d WIB")
    )
    await expect(page.get_by_text("Tempat di antrean")).to_have_count(0)
    await fits(page, f"{js}-tracking-allocated")

    # Someone waits behind: the units the cancel frees go to them (and none stay on hand).
    next_in_line = await waiting_order(client, site, 2)
    await page.get_by_role("button", name="Batalkan pesanan").click()
    await expect(page.get_by_text(f"Kode ini untuk membatalkan pesanan {tracking}")).to_be_visible()
    _, fresh = await codes_sent(whatsapp, phone, count=2)
    await code_typed(page, fresh)
    await expect(page).to_have_url(re.compile(rf"/lacak/{tracking}\?batal=1$"))
    await expect(page.get_by_role("status")).to_have_text("Pesanan ini sudah dibatalkan.")
    await expect(figure(page, "Status")).to_have_text("Dibatalkan")
    await expect(page.get_by_role("button", name="Batalkan pesanan")).to_have_count(0)
    await fits(page, f"{js}-tracking-cancelled")
    await allocated(client, next_in_line)

    await page.get_by_role("link", name="English").click()
    await expect(figure(page, "Status")).to_have_text("Cancelled")


@JAVASCRIPT
async def test_five_wrong_codes_lock_the_check_and_the_right_one_then_places_nothing(
    phone_pages, site: Site, whatsapp, javascript
):
    page, phone = await phone_pages(javascript), new_phone()
    await order_form_sent(page, phone, "Ibu Salah Ketik")
    code_page = page.url
    [code] = await codes_sent(whatsapp, phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    for left in (4, 3, 2, 1):
        await code_typed(page, wrong)
        await expect(page.get_by_role("alert")).to_contain_text(f"Sisa percobaan: {left}")
        await expect(page.get_by_label("Kode", exact=True)).to_have_attribute(
            "aria-invalid", "true"
        )
    await code_typed(page, wrong)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Kode salah terlalu sering")
    await expect(page.get_by_label("Kode", exact=True)).to_have_count(0)
    await fits(page, f"{'js' if javascript else 'nojs'}-code-locked")

    # Opened again, the locked check says so and takes no code at all.
    await page.goto(code_page)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Kode salah terlalu sering")
    await expect(page.get_by_label("Kode", exact=True)).to_have_count(0)
    assert len(await codes_sent(whatsapp, phone)) == 1


async def test_a_second_tap_while_the_code_is_asked_for_sends_nothing(
    phone_pages, site: Site, whatsapp, database
):
    """With JavaScript on, a second tap on "send the code" while the answer is on its way
    sends nothing: a second code would make the first one to arrive a wrong one."""
    page, phone = await phone_pages(javascript=True), new_phone()
    await answers_checked(page, phone, "Ibu Dua Kali")
    held = []  # the requests for a code, kept from the site until both taps are made

    async def hold(route) -> None:
        held.append(route)
        if len(held) > 1:  # a second request: let it through, to be counted
            await route.continue_()

    await page.route(re.compile(r"/pesan/.+/kode$"), hold)
    send = page.get_by_role("button", name="Kirim kode ke HP saya")
    await send.scroll_into_view_if_needed()
    box = await send.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    await page.mouse.click(x, y)
    await wait_until(lambda: _held(held), what="the first tap's request on its way")
    await page.mouse.click(x, y)  # the page still shows while its answer loads
    await held[0].continue_()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Ketik kode dari HP Anda")
    [first] = await codes_sent(whatsapp, phone)
    await code_typed(page, first)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Pesanan diterima")
    checks = await database.fetchval(
        "SELECT count(*) FROM storefront.phone_checks WHERE phone = $1", phone
    )
    assert (checks, len(held)) == (1, 1), "the second tap asked for another code"


async def _held(held: list) -> bool:
    return bool(held)
