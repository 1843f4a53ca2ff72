"""The buyers' site and order windows (issue 21): a product whose window is full shows it and
offers "tell me when it opens again" in place of the order button; the sign-up refuses a
malformed phone, never shows the number back, and is told once when a new window opens."""

import uuid
from datetime import UTC, datetime, timedelta

from tests.support.provider_stubs import WhatsAppCloudStub
from tests.support.storefront import Visitor, new_phone, running_site
from tools.client import HubClient, wait_until

BUYER = {"name": "Dinas Kesehatan Kapuas", "type": "agency", "region": "Kuala Kapuas"}
NOTICE = "plut_window_opened"


async def open_window(client: HubClient, hub: str, cap: int) -> dict:
    now = datetime.now(UTC)
    body = {
        "hub": hub,
        "sku": "masker-kain",
        "opens_at": (now - timedelta(minutes=1)).isoformat(),
        "closes_at": (now + timedelta(days=7)).isoformat(),
        "cap": cap,
    }
    return await client.call(
        "orders", "POST", "/v1/order-windows", json=body, headers=client.as_operator()
    )


async def test_a_full_window_offers_the_sign_up_and_a_new_window_tells_it_once(
    stack, client: HubClient, whatsapp: WhatsAppCloudStub, database, tmp_path
):
    async with running_site(stack, tmp_path) as site:
        first = await open_window(client, site.hub, cap=2)
        await client.place_order(site.hub, "masker-kain", 2, BUYER)
        visitor = Visitor(site)
        try:

            async def shows_full() -> str | None:
                status, page = await visitor.get("/")
                return page if "Kuota pra-pesan sudah penuh" in page else None

            home = await wait_until(shows_full, what="the home page showing the full window")
            signup = f"/kabari/{site.hub}/masker-kain"
            assert (
                f'href="{signup}"' in home and f'href="/pesan/{site.hub}/masker-kain"' not in home
            )

            status, page = await visitor.get(signup)
            assert status == 200, page
            status, page, _ = await visitor.post(signup, {"phone": "12345"})
            assert status == 400 and 'id="phone"' in page and "0812 3456 7890" in page
            phone = new_phone()
            local = "0" + phone.removeprefix("+62")
            status, page, _ = await visitor.post(signup, {"phone": local})
            assert status == 200 and "Terima kasih" in page, page
            assert phone not in page and local not in page  # never shown back
            status, page, _ = await visitor.post(signup, {"phone": local})  # again: once
            kept = await database.fetchval(
                "SELECT count(*) FROM storefront.window_signups WHERE hub = $1", site.hub
            )
            assert kept == 1

            path = f"/v1/order-windows/{first['id']}/close"
            await client.call("orders", "POST", path, headers=client.as_operator())
            await open_window(client, site.hub, cap=10)

            async def told() -> list:
                return [d for d in whatsapp.to(phone) if d.template == NOTICE]

            [notice] = await wait_until(told, what="the sign-up told")
            product = (
                await client.call(
                    "orders", "GET", f"/v1/hubs/{site.hub}/products", headers=client.as_operator()
                )
            )["products"][0]["name"]
            assert notice.parameters[1] == product  # after the name
            told_at = await database.fetchval(
                "SELECT told_at FROM storefront.window_signups WHERE hub = $1", site.hub
            )
            assert told_at is not None
        finally:
            await visitor.close()


async def test_a_notice_asked_twice_is_one_message(
    client: HubClient, whatsapp: WhatsAppCloudStub, hub: str, database
):
    """The site asks again when it did not hear the first answer (or stopped before marking the
    sign-up told): the notice's id is the sign-up's, so the notifier records it once."""
    phone = new_phone()
    body = {
        "id": str(uuid.uuid4()),
        "hub": hub,
        "hub_name": "PLUT Uji",
        "phone": phone,
        "name": "Pembeli",
        "product": "Masker kain 3 lapis",
        "language": "id",
    }
    answers = [
        await client.call(
            "notifier", "POST", "/v1/window-notices", json=body, headers=client.as_operator()
        )
        for _ in range(2)
    ]
    assert answers == [{"message_id": body["id"]}] * 2
    # Both answers came after their commits: what they recorded is there to count.
    recorded = await database.fetchval(
        "SELECT count(*) FROM notifier.messages WHERE event_id = $1", uuid.UUID(body["id"])
    )
    assert recorded == 1

    async def delivered() -> list:
        return [d for d in whatsapp.to(phone) if d.template == NOTICE]

    [notice] = await wait_until(delivered, what="the notice delivered")
    assert notice.parameters[1] == "Masker kain 3 lapis"


async def test_the_sign_up_refuses_a_forged_post_markup_and_a_made_up_product(
    stack, client: HubClient, database, tmp_path
):
    """As an outsider would try it: no form token, another hub's or a made-up product in the
    path, markup for a phone. Each gets a page, never a 500, and nothing is kept."""
    async with running_site(stack, tmp_path) as site:
        await open_window(client, site.hub, cap=1)
        await client.place_order(site.hub, "masker-kain", 1, BUYER)
        visitor = Visitor(site)
        try:
            signup = f"/kabari/{site.hub}/masker-kain"

            async def offered() -> bool:
                return (await visitor.get(signup))[0] == 200

            await wait_until(offered, what="the sign-up offered for the full window")
            local = "0" + new_phone().removeprefix("+62")
            visitor.token = "x" * 43
            status, page, _ = await visitor.post(signup, {"phone": local})
            assert status == 403 and "Formulir sudah kedaluwarsa" in page

            await visitor.get(signup)  # a real token again
            for path in (
                f"/kabari/{site.hub}/tidak-ada",
                "/kabari/hub-lain/masker-kain",
                f"/kabari/{site.hub}/..%2f..%2fetc",
            ):
                status, _, _ = await visitor.post(path, {"phone": local})
                assert status == 404, path
            status, page, _ = await visitor.post(signup, {"phone": "<script>alert(1)</script>"})
            assert status == 400 and "<script>alert(1)" not in page

            kept = await database.fetchval(
                "SELECT count(*) FROM storefront.window_signups WHERE hub = $1", site.hub
            )
            assert kept == 0
        finally:
            await visitor.close()
