"""Free-mask programmes in the running orders service: opening one, applying (and every way an
application is refused), first-come admission within the budget."""

import pytest

from tests.support.programmes import REGENCY, apply, citizen, nik, open_programme, programme
from tools.client import ApiError, HubClient


async def test_an_admin_opens_a_programme_anyone_reads(client: HubClient, hub: str):
    opened = await open_programme(client, hub)

    assert opened["status"] == "open" and opened["budget_left"] == 10_000
    assert opened["products"] == [{"sku": "masker-kain", "unit_price": 5000}]
    assert await programme(client, opened["id"]) == opened
    listed = await client.call("orders", "GET", f"/v1/programmes?hub={hub}")
    assert [p["id"] for p in listed["programmes"]] == [opened["id"]]


async def test_partners_and_unlisted_products_may_not_open_one(
    client: HubClient, hub: str, partner_client: HubClient
):
    with pytest.raises(ApiError) as refused:
        await client.call(
            "orders", "POST", "/v1/programmes", json={}, headers=partner_client.to_orders()
        )
    assert refused.value.status == 403
    with pytest.raises(ApiError) as unlisted:
        await open_programme(client, hub, products=[{"sku": "sarung-tangan", "unit_price": 1}])
    assert unlisted.value.status == 422
    assert unlisted.value.body["errors"][0]["field"] == "products.0.sku"


async def test_first_come_admits_while_the_budget_lasts(client: HubClient, hub: str, tap):
    opened = await open_programme(client, hub)  # 10,000: two masks at 5,000

    first = await apply(client, opened["id"], citizen(1), quantity=2)
    second = await apply(client, opened["id"], citizen(2))

    assert first[0] == 201 and first[1]["status"] == "admitted", first
    assert second[0] == 201 and second[1]["status"] == "waiting", second
    now = await programme(client, opened["id"])
    assert (now["budget_committed"], now["budget_left"], now["applications"]) == (10_000, 0, 2)
    placed = await tap.wait_for(
        lambda e: e.type == "order.placed" and e.payload["order_id"] == first[1]["order_id"],
        what="the admitted application's order.placed",
    )
    assert placed.version == 5 and placed.payload["priority_class"] == "program"
    assert placed.payload["programme"] == {"programme_id": opened["id"], "unit_price": 5000}


async def test_applications_are_refused_with_reasons(
    client: HubClient, hub: str, partner_client: HubClient, database
):
    opened = await open_programme(client, hub)
    pid = opened["id"]

    bad = await apply(client, pid, {**citizen(1), "nik": "1234567890123456"})
    assert bad[0] == 422 and bad[1]["errors"][0]["field"] == "recipient.nik", bad
    assert "1234567890123456" not in str(bad[1])
    missing = await apply(client, pid, {**citizen(1), "nik": None})
    assert missing[0] == 422 and missing[1]["errors"][0]["field"] == "recipient.nik"
    too_many = await apply(client, pid, citizen(1), quantity=3)
    assert too_many[0] == 422 and too_many[1]["errors"][0]["field"] == "quantity"
    elsewhere = await apply(client, pid, citizen(1, region="Kabupaten Kapuas"))
    assert elsewhere[0] == 403 and elsewhere[1]["type"] == "/problems/not-eligible"
    bank = {"name": "Bank Kalteng", "type": "bank", "region": REGENCY}
    assert (await apply(client, pid, bank))[0] == 403
    any_case = await apply(client, pid, citizen(1, region=REGENCY.upper()))
    assert any_case[0] == 201, any_case
    twice = await apply(client, pid, {**citizen(1), "name": "Orang Lain"})
    assert twice[0] == 409 and twice[1]["type"] == "/problems/already-applied"
    no_scope = await apply(partner_client, pid, citizen(2))
    assert no_scope[0] == 403 and no_scope[1]["type"] == "/problems/missing-scope"
    closed = await open_programme(client, hub, starts_on="2020-01-01", ends_on="2020-01-31")
    assert closed["status"] == "ended"
    late = await apply(client, closed["id"], citizen(3))
    assert late[0] == 409 and late[1]["type"] == "/problems/programme-closed"

    # The NIK is nowhere in clear: neither in the buyer kept nor as the recipient.
    stored = await database.fetch(
        "SELECT buyer::text || coalesce(programme_recipient, '') AS kept FROM orders.orders"
    )
    assert not any(nik(1) in row["kept"] for row in stored)


async def test_a_partner_with_the_scope_applies(client: HubClient, hub: str):
    opened = await open_programme(client, hub)
    made = await client.create_partner(
        f"Kantor Desa {hub}",
        [hub],
        scopes=["programmes:apply"],
        buyer_types=["individual"],
    )
    village = client.as_partner(made["api_key"])

    applied = await apply(village, opened["id"], citizen(5))

    assert applied[0] == 201 and applied[1]["status"] == "admitted", applied
