"""The buyers' site against the real stack: a buyer orders with a phone and a code from the
WhatsApp stand-in, and the order waits in the allocator's queue like any other; the code's
deadline, tries and limits; one order for a double submit; tracking that tells nobody which
codes exist.
"""

import re

import pytest

from tests.support.storefront import (
    Site,
    Visitor,
    codes_sent,
    new_phone,
    running_site,
)
from tools.client import HubClient, wait_until
from tools.provider_stubs import WhatsAppCloudStub

TRACKING = re.compile(r"^/lacak/([0-9A-Z]{5}-[0-9A-Z]{5})\?baru=1$")


@pytest.fixture(scope="module")
async def site(stack, tmp_path_factory) -> Site:
    async with running_site(stack, tmp_path_factory.mktemp("storefront")) as running:
        yield running


@pytest.fixture
async def visitor(site: Site) -> Visitor:
    made = Visitor(site)
    yield made
    await made.close()


async def order_through_the_site(visitor: Visitor, whatsapp: WhatsAppCloudStub, phone: str):
    """The whole path: form, check, code, right code; the tracking code."""
    code_page = await visitor.ask_for_code(phone)
    [code] = await codes_sent(whatsapp, phone)
    status, page, location = await visitor.post(code_page, {"kode": code})
    assert status == 303, page
    found = TRACKING.match(location)
    assert found, location
    return found.group(1)


async def site_orders(client: HubClient, site: Site) -> list[dict]:
    return (await client.queue(site.hub, site.sku))["orders"]


async def test_a_buyer_orders_with_a_phone_code_and_the_order_waits_in_the_queue(
    site, visitor, whatsapp, client, partner_client
):
    phone = new_phone()
    tracking = await order_through_the_site(visitor, whatsapp, phone)

    queue = await wait_until(lambda: site_orders(client, site), what="the order in the queue")
    [waiting] = queue
    assert (waiting["quantity"], waiting["priority_class"]) == (3, "public")
    status, page = await visitor.get(f"/lacak/{tracking}?baru=1")
    assert status == 200
    assert "Pesanan diterima" in page and tracking in page
    assert "Menunggu dalam antrean" in page
    assert "Ibu Sari" not in page and phone[-8:] not in page  # the code names nobody
    [sent] = [d for d in whatsapp.to(phone) if d.template == "plut_phone_code"]
    assert sent.parameters[0] == "Ibu Sari Lestari"
