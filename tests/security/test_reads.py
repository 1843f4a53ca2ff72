"""Reads without credentials: the allocator's queue, draws, lot allocations and an order's standing
showed every partner's order ids, quantities and places, and intake's producer its phone and
email. Only what a public site needs stays open (aggregate figures, the hubs with their names,
time zones, addresses and hours), without personal data or anyone's ids; the rest needs the
operator token."""

import pytest

from tests.support.stack_env import OPERATOR_TOKEN
from tools.client import HubClient, wait_until

SKU = "masker-kain"
SERVICES = ("intake", "orders", "allocator", "notifier")
# Every service's plumbing: alive, ready, its metrics (kept inside the network, see README's
# Security) and its API documents.
PLUMBING = {"/health", "/ready", "/metrics", "/v1/openapi.json", "/v1/openapi-all.json", "/v1/docs"}
# What stays open, and why: nothing in them names a person, an order or a partner.
PUBLIC_READS = {
    # a hub's name, time zone, address and opening hours: what the buyers' site shows
    "intake": {"/v1/hubs", "/v1/hubs/{code}"},
    # free-mask programmes (their terms and budget figures) and their published draws: entrants
    # by draw ticket, never by order code or id (tests/security/test_programmes.py)
    "orders": {
        "/v1/programmes",
        "/v1/programmes/{programme_id}",
        "/v1/programmes/{programme_id}/draws",
        "/v1/programmes/{programme_id}/draws/{draw_id}",
    },
    "allocator": {
        "/v1/hubs/{hub}/products/{sku}/stock",  # received, allocated, available
        "/v1/hubs/{hub}/products/{sku}/policy",  # how a product is shared
        "/v1/hubs/{hub}/days",  # each product's day in totals
    },
    # Meta's webhook handshake needs the verify token, and says so (its security scheme)
    "notifier": set(),
}
PUBLIC_FIELDS = {
    "/v1/hubs/{code}": {
        "code",
        "name",
        "timezone",
        "address",
        "opening_hours",
        "takes_site_orders",
        "created_at",
        "updated_at",
    },
    "/v1/hubs/{hub}/products/{sku}/stock": {"hub", "sku", "received", "allocated", "available"},
    "/v1/hubs/{hub}/days": {"hub", "timezone", "days"},
}
# The buyers' and the producer's phone numbers (as any form would show their digits), and email.
PERSONAL = ("34567892", "34567893", "34567894", "wati@")
WRONG = [
    {},  # no credentials
    {"Authorization": "Bearer not-the-token"},
    {"Authorization": f"Bearer {OPERATOR_TOKEN}x"},
    {"Authorization": OPERATOR_TOKEN},  # no scheme
]


async def get_paths(client: HubClient, service: str) -> dict[str, dict]:
    document = await client.call(service, "GET", "/v1/openapi.json")
    return {path: methods["get"] for path, methods in document["paths"].items() if "get" in methods}


@pytest.mark.parametrize("service", SERVICES)
async def test_only_the_listed_reads_are_open(client: HubClient, service: str):
    reads = await get_paths(client, service)
    # An open operation declares an empty list of requirements: none is needed.
    open_reads = {path for path, operation in reads.items() if not operation["security"]}

    assert open_reads - PLUMBING == PUBLIC_READS[service]


@pytest.fixture
async def a_served_order(client: HubClient, hub: str, partner_client: HubClient) -> dict:
    """An order of a partner, served from a delivery, with a waiting one behind it: its id, the
    delivery's, the producer's."""
    buyer = {"name": "Ibu Sari", "type": "individual", "region": "Kapuas"}
    served = await partner_client.place_order(hub, SKU, 2, {**buyer, "phone": "081234567892"})
    await partner_client.place_order(hub, SKU, 5, {**buyer, "phone": "081234567893"})
    producer = await client.register_producer(
        hub, name="Ibu Wati", phone="081234567894", regency="Kapuas", email="wati@contoh.id"
    )
    delivery = await client.record_delivery(hub, producer["id"], SKU, 2)
    await wait_until(
        lambda: _allocated(partner_client, served["id"]), what="the partner's order served"
    )
    return {"order": served["id"], "delivery": delivery["id"], "producer": producer["id"]}


async def _allocated(client: HubClient, order_id: str) -> bool:
    return (await client.order(order_id))["allocated"] == 2


async def test_private_reads_refuse_every_wrong_credential_and_open_to_the_operator(
    client: HubClient, hub: str, partner: dict, a_served_order: dict
):
    ids = a_served_order
    private = [
        ("allocator", f"/v1/hubs/{hub}/products/{SKU}/queue"),
        ("allocator", f"/v1/hubs/{hub}/products/{SKU}/draws"),
        ("allocator", f"/v1/orders/{ids['order']}/standing"),
        ("allocator", f"/v1/deliveries/{ids['delivery']}/allocations"),
        ("intake", f"/v1/producers/{ids['producer']}"),
        ("intake", f"/v1/deliveries/{ids['delivery']}"),
    ]
    with_partner_key = {"Authorization": f"Bearer {partner['api_key']}"}

    for service, path in private:
        url = client.urls[service] + path
        for headers in [*WRONG, with_partner_key]:
            async with client.session.get(url, headers=headers) as response:
                body = await response.text()
                assert response.status == 401, (path, headers, body)
                assert not any(secret in body for secret in (ids["order"], *PERSONAL)), body
        async with client.session.get(url, headers=client.as_operator()) as response:
            assert response.status == 200, (path, await response.text())


async def test_open_reads_answer_only_figures(client: HubClient, hub: str, a_served_order: dict):
    reads = {
        ("intake", f"/v1/hubs/{hub}", "/v1/hubs/{code}"),
        (
            "allocator",
            f"/v1/hubs/{hub}/products/{SKU}/stock",
            "/v1/hubs/{hub}/products/{sku}/stock",
        ),
        ("allocator", f"/v1/hubs/{hub}/days", "/v1/hubs/{hub}/days"),
        ("allocator", f"/v1/hubs/{hub}/products/{SKU}/policy", None),
    }
    for service, path, template in reads:
        async with client.session.get(client.urls[service] + path) as response:
            assert response.status == 200, path
            text = await response.text()
            answer = await response.json()
        if template is not None:
            assert set(answer) == PUBLIC_FIELDS[template], path
        for private in (a_served_order["order"], a_served_order["producer"], *PERSONAL):
            assert private not in text, (path, private)


async def test_a_partner_still_reads_its_own_orders_place(
    client: HubClient, hub: str, partner_client: HubClient, a_served_order: dict
):
    """The orders service asks the allocator with the operator token, for the partner that
    placed the order and no one else."""
    queue = await client.queue(hub, SKU)
    waiting = queue["orders"][0]["order_id"]

    mine = await partner_client.order(waiting)
    other = await client.create_partner("Mitra Lain", [hub])
    async with client.session.get(
        f"{client.urls['orders']}/v1/orders/{waiting}",
        headers={"Authorization": f"Bearer {other['api_key']}"},
    ) as response:
        theirs = response.status

    assert mine["position"] == 1 and mine["units_ahead"] == 0
    assert [line["rule"] for line in mine["explanation"]] != ["unavailable"]
    assert theirs == 404
