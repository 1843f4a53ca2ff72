"""Attack: an operator token that can do everything, held by every console role.

Each role now has its own token, and the services check the role per route: reading needs a
viewer's, changing staff's, and partners, their keys, hubs and products the admin's. A lower
role's token is refused (403 role-too-low) and nothing changes.
"""

import pytest

from tests.support.stack_env import OPERATOR_STAFF_TOKEN, OPERATOR_TOKEN, OPERATOR_VIEWER_TOKEN
from tools.client import ApiError, HubClient


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def refused(client: HubClient, token: str, method: str, service: str, path: str, **kw):
    with pytest.raises(ApiError) as error:
        await client.call(service, method, path, headers=bearer(token), **kw)
    assert error.value.status == 403, error.value.body
    assert error.value.body["type"] == "/problems/role-too-low"


async def keys_of(client: HubClient, partner_id: str) -> list[dict]:
    answer = await client.call(
        "orders", "GET", f"/v1/partners/{partner_id}", headers=client.as_operator()
    )
    return answer["keys"]


@pytest.mark.parametrize("token", [OPERATOR_STAFF_TOKEN, OPERATOR_VIEWER_TOKEN])
async def test_only_the_admin_manages_partners_and_keys(client: HubClient, partner, token):
    before = await keys_of(client, partner["partner"]["id"])
    partner_id = partner["partner"]["id"]
    await refused(
        client,
        token,
        "POST",
        "orders",
        f"/v1/partners/{partner_id}/keys",
        json={"previous_key_valid_seconds": 0},
    )
    prefix = before[0]["prefix"]
    await refused(client, token, "DELETE", "orders", f"/v1/partners/{partner_id}/keys/{prefix}")
    await refused(client, token, "GET", "orders", "/v1/partners")
    await refused(
        client,
        token,
        "POST",
        "orders",
        "/v1/partners",
        json={"name": "Mitra palsu", "hubs": ["x1"], "scopes": ["orders:read"]},
    )
    await refused(client, token, "GET", "orders", "/v1/callbacks")
    assert await keys_of(client, partner["partner"]["id"]) == before
    # The partner's key still works: nothing was rotated or revoked.
    assert await client.as_partner(partner["api_key"]).catalog(partner["partner"]["hubs"][0])


async def test_a_viewer_reads_but_changes_nothing(client: HubClient, hub):
    order = await client.place_order(
        hub, "masker-kain", 2, {"name": "Ibu Ani", "type": "individual", "region": "Sampit"}
    )
    viewer = bearer(OPERATOR_VIEWER_TOKEN)
    found = await client.call("orders", "GET", f"/v1/orders?id={order['id']}", headers=viewer)
    assert [o["id"] for o in found["orders"]] == [order["id"]]
    await refused(
        client, OPERATOR_VIEWER_TOKEN, "POST", "orders", f"/v1/orders/{order['id']}/cancel"
    )
    await refused(
        client, OPERATOR_VIEWER_TOKEN, "POST", "orders", f"/v1/orders/{order['id']}/fulfil"
    )
    await refused(
        client,
        OPERATOR_VIEWER_TOKEN,
        "POST",
        "intake",
        "/v1/producers",
        json={"hub": hub, "name": "X", "phone": "081200000071", "regency": "Kapuas"},
    )
    await refused(
        client,
        OPERATOR_VIEWER_TOKEN,
        "PUT",
        "allocator",
        f"/v1/hubs/{hub}/products/masker-kain/policy",
        json={"mode": "fifo"},
    )
    assert (await client.order(order["id"]))["status"] != "cancelled"
    producers = await client.call("intake", "GET", f"/v1/producers?hub={hub}", headers=viewer)
    assert producers["total"] == 0


async def test_staff_change_orders_but_not_the_hubs_setup(client: HubClient, hub):
    staff = bearer(OPERATOR_STAFF_TOKEN)
    order = await client.place_order(
        hub, "masker-kain", 2, {"name": "Ibu Ani", "type": "individual", "region": "Sampit"}
    )
    cancelled = await client.call(
        "orders", "POST", f"/v1/orders/{order['id']}/cancel", headers=staff
    )
    assert cancelled["status"] == "cancelled"
    await refused(
        client,
        OPERATOR_STAFF_TOKEN,
        "POST",
        "intake",
        "/v1/hubs",
        json={"code": "hub-palsu", "name": "Palsu"},
    )
    await refused(
        client,
        OPERATOR_STAFF_TOKEN,
        "POST",
        "intake",
        "/v1/products",
        json={"hub": hub, "sku": "palsu", "name": "Palsu", "unit_price": 1},
    )
    await refused(
        client,
        OPERATOR_STAFF_TOKEN,
        "PATCH",
        "intake",
        f"/v1/hubs/{hub}",
        json={"takes_site_orders": False},
    )
    with pytest.raises(ApiError) as missing:
        await client.call("intake", "GET", "/v1/hubs/hub-palsu")
    assert missing.value.status == 404


async def test_the_admin_token_still_does_everything(client: HubClient, partner):
    """OPERATOR_TOKEN keeps meaning what it meant: tools and scripts that send it go on."""
    rotated = await client.call(
        "orders", "POST", f"/v1/partners/{partner['partner']['id']}/keys",
        json={"previous_key_valid_seconds": 60}, headers=bearer(OPERATOR_TOKEN),
    )  # fmt: skip
    assert rotated["api_key"].startswith("plut_")
