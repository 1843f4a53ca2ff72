"""A hub's address, opening hours and whether the public site takes orders there: set by the
admin, read by anyone (the site shows them), refused naming the field, and never half-written."""

import asyncpg
import pytest

from tests.support.stack_env import OPERATOR_STAFF_TOKEN, OPERATOR_VIEWER_TOKEN
from tools.client import FOUNDING_HUB_DETAILS, ApiError, HubClient, new_hub_code

HOURS = [
    {"day": "sat", "opens": "08:00", "closes": "12:00"},
    {"day": "mon", "opens": "08:00", "closes": "15:30"},
]


async def patch(client: HubClient, hub: str, body: dict, token: str | None = None) -> tuple:
    """PATCH as the admin, or with `token` ("": no credentials)."""
    headers = client.as_operator()
    if token is not None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = f"{client.urls['intake']}/v1/hubs/{hub}"
    async with client.session.patch(url, json=body, headers=headers) as response:
        return response.status, await response.json(content_type=None)


async def test_a_new_hub_takes_no_site_orders_until_the_admin_sets_where_and_when(
    client: HubClient, hub: str
):
    made = await client.call("intake", "GET", f"/v1/hubs/{hub}")
    assert made["takes_site_orders"] is False
    assert made["address"] is None and made["opening_hours"] == []

    changed = await client.update_hub(
        hub, address="  Jl. Yos Sudarso 12, Palangka Raya ", opening_hours=HOURS
    )
    opened = await client.update_hub(hub, takes_site_orders=True)

    assert changed["address"] == "Jl. Yos Sudarso 12, Palangka Raya"
    assert [period["day"] for period in changed["opening_hours"]] == ["mon", "sat"]  # week order
    assert opened["takes_site_orders"] is True and opened["address"] == changed["address"]
    assert opened["updated_at"] is not None
    assert await client.call("intake", "GET", f"/v1/hubs/{hub}") == opened
    listed = await client.call("intake", "GET", "/v1/hubs?takes_site_orders=true&limit=1000")
    assert opened in listed["hubs"]
    others = await client.call("intake", "GET", "/v1/hubs?takes_site_orders=false&limit=1000")
    assert hub not in {listed["code"] for listed in others["hubs"]}


async def test_a_hub_made_with_its_details_takes_site_orders_at_once(client: HubClient):
    code = new_hub_code("site")
    made = await client.create_hub(code, "PLUT Situs", **FOUNDING_HUB_DETAILS)
    assert made["takes_site_orders"] is True
    assert made["opening_hours"][0] == {"day": "mon", "opens": "08:00", "closes": "15:00"}


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"takes_site_orders": True}, "takes_site_orders", "needs_address_and_hours"),
        ({"takes_site_orders": "true"}, "takes_site_orders", "bool_type"),
        ({"address": "Jl. A\nBcc: x@y.id"}, "address", "string_pattern_mismatch"),
        ({"address": "Jl. A\u202e1 oN"}, "address", "string_pattern_mismatch"),
        ({"address": "pesan di www.toko-murah.com"}, "address", "name_link"),
        ({"address": "   "}, "address", "string_too_short"),
        ({"address": "J" * 201}, "address", "string_too_long"),
        ({"opening_hours": [{"day": "mon", "opens": "16:00", "closes": "08:00"}]},
         "opening_hours.0", "closes_before_opens"),
        ({"opening_hours": [{"day": "mon", "opens": "24:00", "closes": "23:00"}]},
         "opening_hours.0.opens", "string_pattern_mismatch"),
        ({"opening_hours": [{"day": "senin", "opens": "08:00", "closes": "12:00"}]},
         "opening_hours.0.day", "literal_error"),
        ({"opening_hours": [HOURS[0], HOURS[0]]}, "opening_hours", "day_twice"),
        ({"opening_hours": None}, "opening_hours", "list_type"),
        ({"name": "Nama baru"}, "name", "extra_forbidden"),
    ],
)  # fmt: skip
async def test_bad_details_are_refused_by_field_and_nothing_is_written(
    client: HubClient, hub: str, body: dict, field: str, code: str
):
    before = await client.call("intake", "GET", f"/v1/hubs/{hub}")

    status, problem = await patch(client, hub, {"address": "Jl. Baru 1", **body})

    assert status == 422, problem
    assert {(error["field"], error["code"]) for error in problem["errors"]} == {(field, code)}
    assert await client.call("intake", "GET", f"/v1/hubs/{hub}") == before


async def test_a_hub_taking_site_orders_keeps_its_address_and_hours(client: HubClient, hub: str):
    """Once the site offers the hub, neither may be taken away while it does."""
    await client.update_hub(hub, **FOUNDING_HUB_DETAILS)

    for body in ({"address": None}, {"opening_hours": []}):
        status, problem = await patch(client, hub, body)
        assert status == 422, problem
        assert problem["errors"][0]["field"] == "takes_site_orders"
    closed = await client.update_hub(hub, takes_site_orders=False, address=None)
    assert closed["address"] is None and not closed["takes_site_orders"]


async def test_only_the_admin_changes_a_hub(client: HubClient, hub: str):
    for token in (OPERATOR_STAFF_TOKEN, OPERATOR_VIEWER_TOKEN, "not-a-token", ""):
        status, problem = await patch(client, hub, {"address": "Jl. Palsu"}, token=token)
        assert status in (401, 403), (token, problem)
    assert (await client.call("intake", "GET", f"/v1/hubs/{hub}"))["address"] is None


async def test_an_unknown_or_malformed_hub_is_404(client: HubClient):
    for code in ("belum-ada", "Bukan_Kode"):
        status, problem = await patch(client, code, {"address": "Jl. A"})
        assert status == 404 and problem["type"] == "/problems/not-found", problem


async def test_the_table_refuses_site_orders_without_address_or_hours(
    client: HubClient, hub: str, database: asyncpg.Connection
):
    with pytest.raises(asyncpg.CheckViolationError):
        await database.execute(
            "UPDATE intake.hubs SET takes_site_orders = true WHERE code = $1", hub
        )


async def test_the_hub_list_pages_oldest_first(client: HubClient):
    first = await client.call("intake", "GET", "/v1/hubs?limit=2")
    second = await client.call("intake", "GET", "/v1/hubs?limit=2&offset=1")
    assert first["total"] >= 2 and first["hubs"][1] == second["hubs"][0]
    assert first["hubs"][0]["created_at"] <= first["hubs"][1]["created_at"]
    with pytest.raises(ApiError) as refused:
        await client.call("intake", "GET", "/v1/hubs?limit=0")
    assert refused.value.status == 422
