"""The console's day at the counter: Today's figures, recording a delivery and seeing what it
allocated, the queue with its buyers, collecting and cancelling, the policy; viewers change
nothing."""

import re

from services.console.accounts import Role
from tools.client import HubClient, wait_until

SKU = "masker-kain"
PRODUCER = {"name": "Bu Rahmah Penjahit", "phone": "081234500011", "regency": "Kotawaringin Timur"}


def buyer(name: str) -> dict:
    return {"name": name, "type": "individual", "region": "Palangka Raya"}


def figure(html: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">([^<]*)<', html)
    assert found, f"no figure {name}"
    return found.group(1)


async def queued(client: HubClient, hub: str, order_id: str) -> None:
    async def in_queue():
        rows = (await client.queue(hub, SKU))["orders"]
        return any(row["order_id"] == order_id for row in rows)

    await wait_until(in_queue, what="the order in the allocator's queue")


async def test_today_shows_a_deliverys_units(console_as, client, hub):
    producer = await client.register_producer(hub, **PRODUCER)
    await client.record_delivery(hub, producer["id"], SKU, 37, rejected=2)
    session = await console_as(Role.viewer)

    async def shows_them():
        html = await session.page("/")
        return html if figure(html, "received") == "35" else None

    html = await wait_until(shows_them, what="today's units received on the page")
    assert "<svg" in html and 'viewBox="0 0 360' in html
    assert "Pasokan" in html and "Permintaan" in html

    session.http.cookie_jar.update_cookies({"plut_lang": "en"})
    english = await session.page("/")
    assert "Units received" in english and "Supply" in english and "Demand" in english
    assert "Unit diterima" not in english and "Pasokan" not in english


async def test_the_counter_records_a_delivery_and_shows_what_it_allocated(console_as, client, hub):
    producer = await client.register_producer(hub, **PRODUCER)
    order = await client.place_order(hub, SKU, 4, buyer("Ibu Sari Menunggu"))
    await queued(client, hub, order["id"])
    session = await console_as(Role.staff)

    # The phone number finds one producer, who is then chosen: the form is ready.
    html = await session.page(f"/loket?q={PRODUCER['phone'][-6:]}")
    assert PRODUCER["name"] in html
    assert f'name="producer_id" value="{producer["id"]}"' in html

    recorded = await session.submit(
        "/loket",
        {"producer_id": producer["id"], "sku": SKU, "quantity": "12", "rejected": "2"},
    )
    assert recorded.status == 303
    page = recorded.headers["Location"]
    assert page.startswith("/loket/setoran/")

    async def allocated():
        html = await session.page(page)
        return None if 'http-equiv="refresh"' in html else html

    html = await wait_until(allocated, what="the delivery's allocation on its page")
    assert figure(html, "accepted") == "10"
    assert figure(html, "allocated") == "4"
    assert figure(html, "orders") == "1"
    assert "Ibu Sari Menunggu" in html


async def test_bad_quantities_show_the_field_error_and_record_nothing(console_as, client, hub):
    producer = await client.register_producer(hub, **PRODUCER)
    session = await console_as(Role.staff)
    await session.page(f"/loket?producer={producer['id']}")

    zero = await session.http.post(
        "/loket",
        data={"csrf": session.csrf, "producer_id": producer["id"], "sku": SKU, "quantity": "0"},
        allow_redirects=False,
    )
    html = await zero.text()
    assert zero.status == 422
    assert 'id="quantity-error"' in html
    assert 'value="0"' in html  # what was typed stays in the form

    too_many = await session.http.post(
        "/loket",
        data={
            "csrf": session.csrf,
            "producer_id": producer["id"],
            "sku": SKU,
            "quantity": "5",
            "rejected": "6",
        },
        allow_redirects=False,
    )
    assert too_many.status == 422
    assert 'id="rejected-error"' in await too_many.text()

    path = f"/v1/producers/{producer['id']}/deliveries"
    deliveries = await client.call("intake", "GET", path, headers=client.as_operator())
    assert deliveries["total"] == 0


async def test_the_queue_lists_waiting_orders_by_buyer_name(console_as, client, hub):
    order = await client.place_order(hub, SKU, 3, buyer("Pak Budi Antre"))
    await queued(client, hub, order["id"])
    session = await console_as(Role.viewer)
    html = await session.page(f"/antrean?sku={SKU}")
    assert "Pak Budi Antre" in html
    assert "1 pesanan menunggu" in html
    assert "0 unit di depannya" in html  # its place, from the queue's rows


async def test_staff_mark_an_order_collected_and_cancel_another(console_as, client, hub):
    producer = await client.register_producer(hub, **PRODUCER)
    first = await client.place_order(hub, SKU, 2, buyer("Pembeli Pertama"))
    await queued(client, hub, first["id"])
    second = await client.place_order(hub, SKU, 5, buyer("Pembeli Kedua"))
    await queued(client, hub, second["id"])
    await client.record_delivery(hub, producer["id"], SKU, 2)

    async def held():
        return (await client.order(first["id"]))["status"] == "allocated"

    await wait_until(held, what="the first order's units held")
    session = await console_as(Role.staff)
    html = await session.page(f"/antrean?sku={SKU}")
    assert f'action="/antrean/{first["id"]}/diambil"' in html

    collected = await session.submit(f"/antrean/{first['id']}/diambil", {"sku": SKU})
    assert collected.status == 303
    assert (await client.order(first["id"]))["status"] == "fulfilled"
    assert "sudah diambil" in await session.page(collected.headers["Location"])

    cancelled = await session.submit(f"/antrean/{second['id']}/batal", {"sku": SKU})
    assert cancelled.status == 303
    assert (await client.order(second["id"]))["status"] == "cancelled"

    # Collecting it twice is refused by the orders service: its words, on the queue page.
    again = await session.submit(f"/antrean/{first['id']}/diambil", {"sku": SKU})
    assert again.status >= 400


async def test_staff_set_the_products_allocation_policy(console_as, client, hub):
    session = await console_as(Role.staff)
    await session.page(f"/antrean?sku={SKU}")
    saved = await session.submit(
        "/antrean/kebijakan",
        {"sku": SKU, "mode": "fair_share", "per_buyer_daily_cap": "10", "hold_hours": "36"},
    )
    assert saved.status == 303
    policy = await client.policy(hub, SKU)
    assert (policy["mode"], policy["per_buyer_daily_cap"], policy["hold_seconds"]) == (
        "fair_share",
        10,
        36 * 3600,
    )

    bad = await session.http.post(
        "/antrean/kebijakan",
        data={"csrf": session.csrf, "sku": SKU, "mode": "fifo", "hold_hours": "-1"},
        allow_redirects=False,
    )
    assert bad.status == 422
    assert "hold_hours" in await bad.text()
    assert (await client.policy(hub, SKU))["mode"] == "fair_share"


async def test_a_viewer_sees_no_forms_and_may_not_post(console_as, client, hub):
    producer = await client.register_producer(hub, **PRODUCER)
    order = await client.place_order(hub, SKU, 1, buyer("Pembeli Dilihat"))
    await queued(client, hub, order["id"])
    viewer = await console_as(Role.viewer)

    counter = await viewer.page(f"/loket?producer={producer['id']}")
    assert 'action="/loket"' in counter  # the search, a GET form
    assert 'method="post" action="/loket"' not in counter
    queue = await viewer.page(f"/antrean?sku={SKU}")
    assert "Pembeli Dilihat" in queue
    for action in ("/diambil", "/batal", "/antrean/kebijakan"):
        assert action not in queue

    fields = {"producer_id": producer["id"], "sku": SKU, "quantity": "5"}
    assert (await viewer.submit("/loket", fields)).status == 403
    assert (await viewer.submit(f"/antrean/{order['id']}/batal", {"sku": SKU})).status == 403
    assert (
        await viewer.submit("/antrean/kebijakan", {"sku": SKU, "mode": "lottery"})
    ).status == 403
    assert (await client.order(order["id"]))["status"] == "queued"
    assert (await client.policy(hub, SKU))["mode"] == "fifo"
