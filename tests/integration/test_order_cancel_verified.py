"""Cancelling for the buyer whose phone a door of the centre's checked (`orders:cancel-verified`,
migration 0009): an order placed by such a door keeps its buyer's phone as verified, and a key
with the scope may cancel an order of its hubs whose verified phone is the one it asserts
(`Verified-Phone`). Anything else answers as an order that does not exist."""

import uuid

import pytest

from tools.client import ApiError, HubClient, new_hub_code

DOOR_SCOPES = ["orders:write", "orders:read", "orders:track", "orders:cancel-verified"]
PHONE = "+6281234567890"
STRANGER = "+6281298765432"
BUYER = {
    "name": "Ibu Sari",
    "type": "individual",
    "region": "Palangka Raya",
    "phone": "0812-3456-7890",  # as typed: the orders API keeps +6281234567890
    "channel": "whatsapp",
}


async def door(client: HubClient, name: str, hubs: list[str]) -> HubClient:
    """A first-party door's key (the site's, the chat's) for `hubs`."""
    made = await client.create_partner(name, hubs, scopes=DOOR_SCOPES, buyer_types=["individual"])
    return client.as_partner(made["api_key"])


async def cancel(caller: HubClient, order_id: str, phone: str | None, key: str | None = None):
    headers = caller.to_orders(key or str(uuid.uuid4()))
    if phone is not None:
        headers["Verified-Phone"] = phone
    path = f"/v1/orders/{order_id}/cancel"
    return await caller.call("orders", "POST", path, headers=headers)


async def refused(call) -> ApiError:
    with pytest.raises(ApiError) as error:
        await call
    return error.value


async def test_a_door_cancels_another_doors_order_for_its_verified_buyer(
    client: HubClient, hub: str
):
    site, chat = await door(client, "Situs", [hub]), await door(client, "Chat", [hub])
    placed = await site.place_order(hub, "masker-kain", 2, BUYER)

    key = str(uuid.uuid4())
    cancelled = await cancel(chat, placed["id"], "0812 3456 7890", key)
    again = await cancel(chat, placed["id"], PHONE, key)  # the same request, normalised alike

    assert cancelled["status"] == "cancelled" and again == cancelled
    history = await client.call(
        "orders", "GET", f"/v1/orders/{placed['id']}/history", headers=client.as_operator()
    )
    entry = next(e for e in history["events"] if e["kind"] == "cancelled")
    assert entry["detail"]["for_verified_phone"] is True


async def test_a_wrong_phone_answers_as_an_unknown_order(client: HubClient, hub: str):
    site, chat = await door(client, "Situs", [hub]), await door(client, "Chat", [hub])
    placed = await site.place_order(hub, "masker-kain", 1, BUYER)

    wrong = await refused(cancel(chat, placed["id"], STRANGER))
    unknown_id = str(uuid.uuid4())
    unknown = await refused(cancel(chat, unknown_id, STRANGER))

    assert wrong.status == unknown.status == 404
    # The same answer but for the id it names: nothing tells another's order from none.
    assert wrong.body == {
        **unknown.body,
        "detail": unknown.body["detail"].replace(unknown_id, placed["id"]),
    }
    assert (await site.order(placed["id"]))["status"] == "queued"


async def test_a_key_without_the_scope_may_not_assert_a_phone(
    client: HubClient, partner_client: HubClient, hub: str
):
    site = await door(client, "Situs", [hub])
    placed = await site.place_order(hub, "masker-kain", 1, BUYER)

    missing = await refused(cancel(partner_client, placed["id"], PHONE))

    assert missing.status == 403 and missing.body["type"].endswith("missing-scope")
    assert "orders:cancel-verified" in missing.body["detail"]
    assert (await site.order(placed["id"]))["status"] == "queued"


async def test_a_door_of_another_hub_may_not_cancel(client: HubClient, hub: str):
    other_hub = new_hub_code()
    await client.open_hub(other_hub)
    site = await door(client, "Situs", [hub])
    elsewhere = await door(client, "Chat lain", [other_hub])
    placed = await site.place_order(hub, "masker-kain", 1, BUYER)

    other = await refused(cancel(elsewhere, placed["id"], PHONE))

    assert other.status == 404
    assert (await site.order(placed["id"]))["status"] == "queued"


async def test_a_phone_a_partner_typed_is_not_verified(
    client: HubClient, partner_client: HubClient, hub: str
):
    placed = await partner_client.place_order(hub, "masker-kain", 1, BUYER)
    chat = await door(client, "Chat", [hub])

    typed = await refused(cancel(chat, placed["id"], PHONE))

    assert typed.status == 404
    assert (await partner_client.order(placed["id"]))["status"] == "queued"


async def test_a_bad_phone_is_named(client: HubClient, hub: str):
    chat = await door(client, "Chat", [hub])
    placed = await chat.place_order(hub, "masker-kain", 1, BUYER)

    bad = await refused(cancel(chat, placed["id"], "not a phone"))

    assert bad.status == 422
    assert [e["field"] for e in bad.body["errors"]] == ["Verified-Phone"]


async def test_an_existing_doors_key_is_given_the_scope(client: HubClient, hub: str):
    made = await client.create_partner(
        "Situs lama", [hub], scopes=["orders:write", "orders:read"], buyer_types=["individual"]
    )
    site = client.as_partner(made["api_key"])
    before = await site.place_order(hub, "masker-kain", 1, BUYER)
    path = f"/v1/partners/{made['partner']['id']}"
    changed = await client.call(
        "orders", "PATCH", path, json={"scopes": DOOR_SCOPES}, headers=client.as_operator()
    )
    after = await site.place_order(hub, "masker-kain", 1, BUYER)
    chat = await door(client, "Chat", [hub])

    assert changed["scopes"] == sorted(DOOR_SCOPES)
    assert (await cancel(chat, after["id"], PHONE))["status"] == "cancelled"
    # Placed before the scope: its phone was not kept as verified.
    assert (await refused(cancel(chat, before["id"], PHONE))).status == 404
    for bad in ([], ["orders:everything"]):
        change = client.call(
            "orders", "PATCH", path, json={"scopes": bad}, headers=client.as_operator()
        )
        assert (await refused(change)).status == 422
