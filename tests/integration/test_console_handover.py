"""Hand-over by code at the counter (`/loket/serah-terima`): the order code typed, or the tracking
link a scanner types from the buyer's QR, finds the order with what is held and until when; staff
hand it over through the orders service's fulfil, once however often the form is sent, and get a
pick-up slip naming them; nothing held, cancelled or handed over already is said plainly with no
button; a viewer may look, not hand over; an unknown code says only that."""

import re
from urllib.parse import quote

from services.console.accounts import Role
from tests.browser import making
from tools.client import HubClient, wait_until

PAGE = "/loket/serah-terima"
SKU = making.SKU
PHONE = "0812 3456 7001"


def find(typed: str) -> str:
    return f"{PAGE}?kode={quote(typed)}"


def nonce_in(html: str) -> str:
    found = re.search(r'name="nonce" value="([^"]+)"', html)
    assert found, "the page has no hand-over form"
    return found.group(1)


def main_of(html: str) -> str:
    return html.split("<main>", 1)[1]


def figure(html: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">(.*?)</', html, re.DOTALL)
    assert found, f"no {name} on the page"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


async def waiting_order(client: HubClient, hub: str, name: str, quantity: int) -> dict:
    order = await making.waiting_order(client, hub, name, quantity)
    return await client.order(order["id"])


async def held_order(client: HubClient, hub: str, name: str, quantity: int) -> dict:
    """An order whose `quantity` units a delivery has given it, held at the counter."""
    placed = await client.place_order(
        hub, SKU, quantity, {"name": name, "type": "individual", "region": "Kapuas", "phone": PHONE}
    )

    async def queued() -> bool:
        rows = (await client.queue(hub, SKU))["orders"]
        return any(row["order_id"] == placed["id"] for row in rows)

    await wait_until(queued, what=f"order {placed['id']} in the queue")
    seller = await making.producer(client, hub, f"Produsen untuk {name}")
    await client.record_delivery(hub, seller["id"], SKU, quantity)
    return await making.status_becomes(client, placed["id"], "allocated")


async def fulfilled_entries(client: HubClient, order_id: str) -> list[dict]:
    history = await client.call(
        "orders", "GET", f"/v1/orders/{order_id}/history", headers=client.as_operator()
    )
    return [event for event in history["events"] if event["kind"] == "fulfilled"]


async def test_staff_find_an_order_by_its_code_and_hand_it_over_with_a_slip(
    console_as, client, hub
):
    order = await held_order(client, hub, "Ibu Sari Ambil", 4)
    session = await console_as(Role.staff)
    assert f'href="{PAGE}"' in await session.page("/loket")
    form = await session.page(PAGE)
    assert 'name="kode"' in form and "autofocus" in form

    # Read out over the counter: lower case, a space for the dash.
    html = await session.page(find(order["code"].lower().replace("-", " ")))
    assert "Ibu Sari Ambil" in html
    assert figure(html, "code") == order["code"]
    assert figure(html, "held") == "4"
    assert figure(html, "phone") == "+62812****7001" and "6281234567001" not in html
    assert figure(html, "hold-until") not in ("", "–")
    assert 'data-figure="why-not"' not in html

    placed = await session.submit(f"{PAGE}/{order['id']}", {"nonce": nonce_in(html)})
    assert placed.status == 303, placed.status
    slip_path = placed.headers["Location"]
    assert re.fullmatch(rf"{PAGE}/slip/[0-9a-f-]{{36}}", slip_path), slip_path

    after = await client.order(order["id"])
    assert after["status"] == "fulfilled" and after["fulfilled"] == 4
    slip = await session.page(slip_path)
    assert figure(slip, "code") == order["code"]
    assert figure(slip, "buyer") == "Ibu Sari Ambil"
    assert figure(slip, "units") == "4"
    assert figure(slip, "staff") == "Uji staff"
    assert "data-print hidden" in slip and "data-print-hint>" in slip  # a script shows the button

    # The same code again: said plainly, no second button.
    again = await session.page(find(order["code"]))
    assert figure(again, "why-not").startswith("Semua unit pesanan ini sudah diserahkan")
    assert 'name="nonce"' not in again


async def test_the_tracking_link_a_scanner_types_finds_the_order(console_as, client, hub):
    order = await held_order(client, hub, "Pak Dedi Pindai", 2)
    session = await console_as(Role.staff)
    for link in (
        f"https://pesan.plut.example/lacak/{order['code']}",
        f"HTTPS://PESAN.PLUT.EXAMPLE/LACAK/{order['code']}",  # Caps Lock on
        f"http://localhost:8090/lacak/{order['code']}?baru=1",
    ):
        html = await session.page(find(link))
        assert figure(html, "code") == order["code"], link
        assert figure(html, "held") == "2"
        shown_back = main_of(html).lower()  # the header's links keep the page's own address
        assert "pesan.plut.example" not in shown_back and "localhost:8090" not in shown_back


async def test_an_unknown_code_or_no_code_says_only_that(console_as, client, hub):
    order = await held_order(client, hub, "Ibu Rahasia", 1)
    session = await console_as(Role.staff)
    other = "00000-00000" if order["code"] != "00000-00000" else "11111-11111"
    for typed, status, said in (
        (other.replace("-", "").lower(), 404, f"Tidak ada pesanan dengan kode {other}"),
        ("ABCDE-1234", 400, "Bukan kode pesanan"),
        ("", 400, "Ketik atau pindai kode pesanan pembeli"),
    ):
        html = await session.page(find(typed), status=status)
        assert said in html, typed
        assert "Ibu Rahasia" not in html and 'name="nonce"' not in html
        assert 'data-figure="held"' not in html


async def test_a_double_submit_hands_over_once_and_both_land_on_one_slip(
    console_as, client, hub, database
):
    order = await held_order(client, hub, "Bu Ani Dua Kali", 3)
    session = await console_as(Role.staff)
    fields = {"nonce": nonce_in(await session.page(find(order["code"])))}
    first = await session.submit(f"{PAGE}/{order['id']}", fields)
    second = await session.submit(f"{PAGE}/{order['id']}", fields)
    assert first.status == second.status == 303
    assert first.headers["Location"] == second.headers["Location"]

    assert [event["units"] for event in await fulfilled_entries(client, order["id"])] == [3]
    rows = await database.fetch(
        "SELECT units FROM console.handovers WHERE order_id = $1", order["id"]
    )
    assert [row["units"] for row in rows] == [3]


async def test_nothing_held_cancelled_or_another_hubs_order_has_no_button(console_as, client, hub):
    # Held first: a delivery goes to the queue's head, which the waiting ones would be.
    elsewhere = await held_order(client, hub, "Ibu Hub Lain", 1)
    waiting = await waiting_order(client, hub, "Dinas Masih Menunggu", 5)
    cancelled = await client.cancel((await waiting_order(client, hub, "Ibu Batal", 1))["id"])
    session = await console_as(Role.staff)
    said = {
        waiting["code"]: "Belum ada unit yang disimpan",
        cancelled["code"]: "Pesanan ini dibatalkan",
    }
    for code, words in said.items():
        html = await session.page(find(code))
        assert figure(html, "why-not").startswith(words), code
        assert figure(html, "held") == "0"
        assert 'name="nonce"' not in html

    await session.use_hub("hub-lain")
    html = await session.page(find(elsewhere["code"]))
    assert figure(html, "why-not").startswith(f"Pesanan ini untuk hub {hub}")
    assert 'name="nonce"' not in html


async def test_a_hand_over_refused_by_the_orders_service_says_why(console_as, client, hub):
    order = await held_order(client, hub, "Ibu Sudah Diambil", 2)
    session = await console_as(Role.staff)
    nonce = nonce_in(await session.page(find(order["code"])))
    await client.fulfil(order["id"])  # at the queue, meanwhile

    async with session.http.post(
        f"{PAGE}/{order['id']}", data={"csrf": session.csrf, "nonce": nonce}
    ) as response:
        assert response.status == 409
        html = await response.text()
    assert "Tidak ada unit untuk diserahkan" in html
    assert figure(html, "why-not").startswith("Semua unit pesanan ini sudah diserahkan")
    assert len(await fulfilled_entries(client, order["id"])) == 1


async def test_a_viewer_may_look_but_not_hand_over(console_as, client, hub):
    order = await held_order(client, hub, "Pak Viewer Lihat", 2)
    staff_nonce = nonce_in(await (await console_as(Role.staff)).page(find(order["code"])))
    viewer = await console_as(Role.viewer)
    html = await viewer.page(find(order["code"]))
    assert figure(html, "held") == "2"
    assert figure(html, "why-not").startswith("Peran Anda hanya boleh melihat")
    assert 'name="nonce"' not in html

    refused = await viewer.submit(f"{PAGE}/{order['id']}", {"nonce": staff_nonce})
    assert refused.status == 403
    after = await client.order(order["id"])
    assert after["status"] == "allocated" and after["fulfilled"] == 0
