"""The site's hubs come from intake: each with the address and opening hours operators set, and
only those that take the site's orders (and its key may order in) are offered."""

import pytest

from tests.support.provider_stubs import WhatsAppCloudStub
from tests.support.storefront import (
    Site,
    Visitor,
    codes_sent,
    new_phone,
    order_answers,
    running_site,
)
from tools.client import FOUNDING_HUB_DETAILS, HubClient, wait_until

NOT_OFFERED = "Hub ini tidak menerima pesanan lewat situs"


@pytest.fixture(scope="module")
async def site(stack, tmp_path_factory) -> Site:
    """A site of its own (the run's `visitor` comes to it): these tests close its hub."""
    async with running_site(stack, tmp_path_factory.mktemp("storefront-hubs")) as running:
        yield running


async def home_once(visitor: Visitor, shows: str) -> str | None:
    status, page = await visitor.get("/")
    assert status == 200, page
    return page if shows in page else None


async def test_home_shows_each_hubs_address_and_hours_from_intake(
    site: Site, visitor: Visitor, client: HubClient
):
    page = await home_once(visitor, FOUNDING_HUB_DETAILS["address"])
    assert page is not None
    assert f'href="/pesan/{site.hub}/{site.sku}"' in page
    assert "Senin–Kamis: 08.00–15.00<br>Jumat: 08.00–11.30<br>Sabtu: 08.00–12.00" in page
    assert "Minggu: tutup" in page

    await client.update_hub(
        site.hub,
        address="Jl. G. Obos 7, Palangka Raya",
        opening_hours=[{"day": "sun", "opens": "09:00", "closes": "13:00"}],
    )
    page = await wait_until(
        lambda: home_once(visitor, "Jl. G. Obos 7"), what="the new address on the home page"
    )
    assert "Minggu: 09.00–13.00" in page and "Senin–Sabtu: tutup" in page

    _, english = await visitor.get("/bahasa?ke=en&next=/")
    assert "Opening hours" in english and "Sunday: 09:00–13:00" in english


async def test_other_sites_hubs_that_this_key_may_not_order_in_are_left_out(
    stack, tmp_path_factory, site: Site, visitor: Visitor
):
    async with running_site(stack, tmp_path_factory.mktemp("storefront-other")) as other:
        page = await home_once(visitor, site.hub)
        assert page is not None and other.hub not in page
        status, page = await visitor.get(f"/pesan/{other.hub}/{other.sku}")
        assert status == 404 and NOT_OFFERED in page


async def test_a_hub_that_takes_no_site_orders_is_not_offered_and_refuses_a_post(
    site: Site, visitor: Visitor, client: HubClient, whatsapp: WhatsAppCloudStub
):
    status, _ = await visitor.get(visitor.form_path)
    assert status == 200
    asked_before = new_phone()
    code_page = await visitor.ask_for_code(asked_before)
    [code] = await codes_sent(whatsapp, asked_before)
    await client.update_hub(site.hub, takes_site_orders=False)
    try:
        page = await wait_until(
            lambda: home_once(visitor, "Belum ada hub yang menerima pesanan"),
            what="the hub gone from the home page",
        )
        assert f"/pesan/{site.hub}/" not in page

        status, page = await visitor.get(visitor.form_path)
        assert status == 404 and NOT_OFFERED in page
        phone = new_phone()
        for path in (visitor.form_path, visitor.form_path + "/kode"):
            status, page, location = await visitor.post(path, order_answers(phone))
            assert (status, location) == (404, ""), page
            assert NOT_OFFERED in page
        assert not whatsapp.to(phone)  # no code was sent
        # A code sent before the hub closed places nothing after.
        status, page, location = await visitor.post(code_page, {"kode": code})
        assert (status, location) == (409, ""), page
        assert "berhenti menerima pesanan lewat situs" in page
        found = await client.call(
            "orders",
            "GET",
            f"/v1/orders?hub={site.hub}&q={asked_before[-9:]}",
            headers=client.as_operator(),
        )
        assert found["total"] == 0
    finally:
        await client.update_hub(site.hub, takes_site_orders=True)
    await wait_until(lambda: home_once(visitor, f"/pesan/{site.hub}/"), what="offered again")
