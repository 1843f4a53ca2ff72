"""Queue-jumping through the buyer's type: a partner may not name a priority class, and may not
get one either by declaring its buyers as what they are not. Which types it may declare is the
operator's setting per partner; by default only the public's."""

import asyncpg
import pytest

from tests.support.attacks import fields_of, refusal
from tests.support.refusals import row_counts
from tools.client import HubClient

SKU = "masker-kain"
CITIZEN = {"name": "Ibu Sari", "type": "individual", "region": "Kapuas"}


def buyer(type_: str) -> dict:
    return {**CITIZEN, "type": type_}


@pytest.fixture
async def new_partner(client: HubClient, hub: str) -> dict:
    """A partner as an operator creates one without saying which buyer types it may declare."""
    return await client.create_partner("Mitra Baru", [hub])


async def test_a_new_partner_may_declare_only_the_publics_types(
    client: HubClient, hub: str, new_partner: dict, database: asyncpg.Connection
):
    partner = client.as_partner(new_partner["api_key"])
    before = await row_counts(database, "orders", hub)

    attempts = {
        type_: await refusal(partner.place_order(hub, SKU, 5, buyer(type_)))
        for type_ in ("health_facility", "agency")
    }
    also_naming_a_class = await refusal(
        partner.place_order(hub, SKU, 5, buyer("health_facility"), priority_class="health")
    )
    placed = [await partner.place_order(hub, SKU, 1, buyer(t)) for t in ("individual", "bank")]

    assert new_partner["partner"]["buyer_types"] == ["bank", "business", "individual"]
    for declared, error in attempts.items():
        assert (error.status, error.body["type"]) == (403, "/problems/buyer-type-not-allowed")
        assert fields_of(error) == {"buyer.type": "not_allowed"}, declared
        assert declared in error.body["errors"][0]["message"]
    assert also_naming_a_class.status == 403
    assert [order["priority_class"] for order in placed] == ["public", "public"]
    after = await row_counts(database, "orders", hub)
    assert after["orders"] == before["orders"] + 2  # the two public orders, nothing else


async def test_a_type_the_schema_does_not_know_is_refused_as_invalid(
    client: HubClient, hub: str, new_partner: dict
):
    partner = client.as_partner(new_partner["api_key"])
    for declared in ("Health_Facility", "health", "hospital"):
        error = await refusal(partner.place_order(hub, SKU, 5, buyer(declared)))
        assert error.status == 422 and "buyer.type" in fields_of(error), declared


async def test_the_operator_decides_per_partner_and_a_partner_cannot_decide_for_itself(
    client: HubClient, hub: str, new_partner: dict
):
    partner_id = new_partner["partner"]["id"]
    partner = client.as_partner(new_partner["api_key"])
    path = f"/v1/partners/{partner_id}"
    body = {"buyer_types": ["health_facility", "individual"]}

    by_itself = await refusal(
        client.call("orders", "PATCH", path, json=body, headers=partner.to_orders())
    )
    still_refused = await refusal(partner.place_order(hub, SKU, 5, buyer("health_facility")))
    changed = await client.call("orders", "PATCH", path, json=body, headers=client.as_operator())
    clinic = await partner.place_order(hub, SKU, 5, buyer("health_facility"))
    bank_now = await refusal(partner.place_order(hub, SKU, 5, buyer("bank")))
    by_operator = await client.place_order(hub, SKU, 5, buyer("health_facility"))

    assert (by_itself.status, by_itself.body["type"]) == (403, "/problems/operator-only")
    assert still_refused.status == 403
    assert changed["buyer_types"] == ["health_facility", "individual"]
    assert clinic["priority_class"] == "health"
    assert bank_now.status == 403 and fields_of(bank_now) == {"buyer.type": "not_allowed"}
    assert by_operator["priority_class"] == "health"  # the operator's token places any type


async def test_the_setting_itself_takes_only_known_types_and_at_least_one(
    client: HubClient, new_partner: dict
):
    path = f"/v1/partners/{new_partner['partner']['id']}"
    for bad in ([], ["vip"], "individual", [None]):
        change = client.call(
            "orders", "PATCH", path, json={"buyer_types": bad}, headers=client.as_operator()
        )
        error = await refusal(change)
        assert error.status == 422 and any(f.startswith("buyer_types") for f in fields_of(error))

    unchanged = await client.call("orders", "GET", path, headers=client.as_operator())
    assert unchanged["buyer_types"] == ["bank", "business", "individual"]
