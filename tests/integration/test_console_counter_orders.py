"""A new order at the counter (`/loket/pesanan-baru`): staff place a phone buyer's order that
lands in the allocator's queue in its buyer type's class, a viewer cannot, a bad form comes back
naming its fields with what was typed, a double submit places one order, and the order's page
says who took it."""

import re
from urllib.parse import urlencode

from services.console.accounts import Role
from tools.client import HubClient, wait_until

SKU = "masker-kain"
FORM = "/loket/pesanan-baru"


def answers(**changes: str) -> dict[str, str]:
    return {
        "sku": SKU,
        "quantity": "3",
        "accept_partial": "ya",
        "name": "Puskesmas Pahandut",
        "buyer_type": "health_facility",
        "region": "Palangka Raya",
        "phone": "0812 3456 7001",
        "email": "",
        "language": "id",
        "channel": "sms",
        **changes,
    }


def nonce_in(html: str) -> str:
    found = re.search(r'name="nonce" value="([^"]+)"', html)
    assert found, "the form has no nonce"
    return found.group(1)


async def place(session, fields: dict[str, str]):
    html = await session.page(FORM)
    return await session.submit(FORM, {"nonce": nonce_in(html), **fields})


async def queue_rows(client: HubClient, hub: str) -> list[dict]:
    return (await client.queue(hub, SKU))["orders"]


async def orders_at(client: HubClient, hub: str) -> list[dict]:
    """The hub's orders as the orders service holds them (no event in between)."""
    query = urlencode({"hub": hub, "q": "081234", "limit": 50})
    answer = await client.call("orders", "GET", f"/v1/orders?{query}", headers=client.to_orders())
    return answer["orders"]


async def test_staff_place_a_phone_order_that_queues_in_its_class(console_as, client, hub):
    session = await console_as(Role.staff)
    assert f'href="{FORM}"' in await session.page("/loket")

    placed = await place(session, answers())
    assert placed.status == 303, placed.status
    page = placed.headers["Location"]
    order_id = page.rsplit("/", 1)[1]
    assert page == f"/loket/pesanan/{order_id}"

    order = await client.order(order_id)
    assert order["hub"] == hub and order["sku"] == SKU and order["quantity"] == 3
    assert order["buyer"]["phone"] == "+6281234567001"
    assert order["priority_class"] == "health"

    async def queued():
        rows = [row for row in await queue_rows(client, hub) if row["order_id"] == order_id]
        return rows[0] if rows else None

    row = await wait_until(queued, what="the counter's order in the allocator's queue")
    assert row["priority_class"] == "health" and row["quantity"] == 3

    confirmation = await session.page(page)
    assert order_id in confirmation and order_id[:8] in confirmation
    assert "Sampaikan kepada pembeli" in confirmation
    assert "Puskesmas Pahandut" in confirmation


async def test_a_viewer_sees_no_form_and_cannot_place(console_as, client, hub):
    staff = await console_as(Role.staff)
    nonce = nonce_in(await staff.page(FORM))
    viewer = await console_as(Role.viewer)
    html = await viewer.page(FORM)
    assert 'name="nonce"' not in html and 'name="quantity"' not in html

    refused = await viewer.submit(FORM, {"nonce": nonce, **answers()})
    assert refused.status == 403
    assert await orders_at(client, hub) == []


async def test_a_bad_form_comes_back_naming_its_fields_with_what_was_typed(console_as, client, hub):
    session = await console_as(Role.staff)
    html = await session.page(FORM)
    typed = answers(quantity="banyak", phone="12345", name="Ibu Yanti", region="", buyer_type="")
    async with session.http.post(
        FORM, data={"csrf": session.csrf, "nonce": nonce_in(html), **typed}
    ) as response:
        assert response.status == 400
        page = await response.text()

    assert "Ada masalah" in page
    for field in ("quantity", "phone", "region", "buyer_type"):
        assert f'href="#{field}"' in page, field
        assert f'id="{field}-error"' in page, field
    assert 'href="#name"' not in page
    assert 'value="banyak"' in page and 'value="12345"' in page and 'value="Ibu Yanti"' in page
    assert "Isi nomor HP Indonesia yang benar" in page
    assert await orders_at(client, hub) == []


async def test_a_double_submit_places_one_order(console_as, client, hub):
    session = await console_as(Role.staff)
    fields = {"nonce": nonce_in(await session.page(FORM)), **answers(buyer_type="individual")}
    first = await session.submit(FORM, fields)
    second = await session.submit(FORM, fields)
    assert first.status == second.status == 303
    assert first.headers["Location"] == second.headers["Location"]

    order_id = first.headers["Location"].rsplit("/", 1)[1]
    assert [order["id"] for order in await orders_at(client, hub)] == [order_id]
    await wait_until(
        lambda: _has(client, hub, order_id), what="the counter's order in the allocator's queue"
    )
    rows = await queue_rows(client, hub)
    assert [row["order_id"] for row in rows] == [order_id]
    assert rows[0]["priority_class"] == "public"


async def _has(client: HubClient, hub: str, order_id: str) -> bool:
    return any(row["order_id"] == order_id for row in await queue_rows(client, hub))


async def test_the_orders_page_says_who_took_it(console_as, operators, client, hub):
    session = await console_as(Role.staff)
    placed = await place(session, answers(name="Pak Budi Lewat Telepon"))
    order_id = placed.headers["Location"].rsplit("/", 1)[1]

    html = await session.page(f"/pesanan/{order_id}")
    taker = re.search(r'data-figure="taker">([^<]*)<', html)
    assert taker, "no taker on the order's page"
    assert taker.group(1).startswith("Diterima oleh Uji staff di loket")

    elsewhere = await client.place_order(
        hub, SKU, 1, {"name": "Ibu Lain", "type": "individual", "region": "Sampit"}
    )
    assert 'data-figure="taker"' not in await session.page(f"/pesanan/{elsewhere['id']}")


async def test_the_products_per_buyer_cap_is_shown_and_kept(console_as, client, hub):
    await client.set_policy(hub, SKU, per_buyer_daily_cap=2)
    session = await console_as(Role.staff)
    html = await session.page(FORM)
    assert "paling banyak 2 unit per pembeli per hari" in html

    async with session.http.post(
        FORM, data={"csrf": session.csrf, "nonce": nonce_in(html), **answers(quantity="3")}
    ) as response:
        assert response.status == 400
        page = await response.text()
    assert 'href="#quantity"' in page and "dari 1 sampai 2" in page
    assert await orders_at(client, hub) == []
