"""Attacks on the free-mask programmes' API: lower roles and partners trying the admin's and the
operators' calls, hostile bodies (wrong types, bounds, control characters, links, a NIK with
anything but its 16 digits), and a NIK looked for in the orders service's log. Each refused
request changes nothing."""

import uuid

import pytest

from tests.support.programmes import apply, citizen, nik, open_programme
from tests.support.stack import Stack
from tests.support.stack_env import OPERATOR_STAFF_TOKEN, OPERATOR_VIEWER_TOKEN
from tools.client import ApiError, HubClient, wait_until


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def status_of(client: HubClient, method: str, path: str, token: str | None, body=None):
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    if token is not None:
        headers.update(bearer(token))
    url = f"{client.urls['orders']}{path}"
    async with client.session.request(method, url, json=body, headers=headers) as response:
        return response.status, await response.json(content_type=None)


async def count(database, programme_id: str | None = None) -> int:
    if programme_id is None:
        return await database.fetchval("SELECT count(*) FROM orders.programmes")
    return await database.fetchval(
        "SELECT count(*) FROM orders.orders WHERE programme_id = $1", uuid.UUID(programme_id)
    )


async def test_only_the_admin_opens_programmes_and_draws(
    client: HubClient, hub: str, partner: dict, database
):
    opened = await open_programme(client, hub, selection="lottery")
    await apply(client, opened["id"], citizen(1))
    before = await count(database)
    body = {"seed": 1}
    for token in (OPERATOR_STAFF_TOKEN, OPERATOR_VIEWER_TOKEN):
        assert (await status_of(client, "POST", "/v1/programmes", token, {}))[0] == 403
        draws = f"/v1/programmes/{opened['id']}/draws"
        assert (await status_of(client, "POST", draws, token, body))[0] == 403
    for path in ("/v1/programmes", f"/v1/programmes/{opened['id']}/draws"):
        status, problem = await status_of(client, "POST", path, partner["api_key"], body)
        assert status == 403 and problem["type"] == "/problems/operator-only", problem
        assert (await status_of(client, "POST", path, None, body))[0] == 401
    for path in ("applications", "report"):
        where = f"/v1/programmes/{opened['id']}/{path}"
        status, problem = await status_of(client, "GET", where, partner["api_key"])
        assert status == 403 and problem["type"] == "/problems/operator-only", problem
        assert (await status_of(client, "GET", where, None))[0] == 401
    viewer = await status_of(
        client,
        "POST",
        f"/v1/programmes/{opened['id']}/applications",
        OPERATOR_VIEWER_TOKEN,
        {"sku": "masker-kain", "quantity": 1, "recipient": citizen(2)},
    )
    assert viewer[0] == 403 and viewer[1]["type"] == "/problems/role-too-low"
    assert await count(database) == before and await count(database, opened["id"]) == 1
    listed = await client.call("orders", "GET", f"/v1/programmes/{opened['id']}/draws")
    assert listed["draws"] == []


HOSTILE_PROGRAMMES = [
    ({"budget": "10000"}, "budget"),
    ({"budget": 0}, "budget"),
    ({"budget": 10.5}, "budget"),
    ({"budget": 10**14}, "budget"),
    ({"products": []}, "products"),
    ({"products": [{"sku": "masker-kain", "unit_price": -1}]}, "products.0.unit_price"),
    ({"products": [{"sku": "masker-kain", "unit_price": 1}] * 2}, "products.1.sku"),
    ({"name": "Masker\x00Gratis"}, "name"),
    ({"funder": "https://phish.example"}, "funder"),
    ({"units_per_recipient": 0}, "units_per_recipient"),
    ({"buyer_types": []}, "buyer_types"),
    ({"buyer_types": ["pejabat"]}, "buyer_types.0"),
    ({"selection": "by_whim"}, "selection"),
    ({"starts_on": "2026-13-01"}, "starts_on"),
    ({"ends_on": "2000-01-01"}, "ends_on"),
    ({"regencies": ["Kota\nPalangka"]}, "regencies.0"),
    ({"owner": "me"}, "owner"),
]


@pytest.mark.parametrize(("terms", "field"), HOSTILE_PROGRAMMES)
async def test_hostile_programmes_are_refused_naming_the_field(
    client: HubClient, hub: str, database, terms: dict, field: str
):
    before = await count(database)
    with pytest.raises(ApiError) as refused:
        await open_programme(client, hub, **terms)
    assert refused.value.status == 422, refused.value.body
    assert field in [error["field"] for error in refused.value.body["errors"]], refused.value.body
    assert await count(database) == before


HOSTILE_APPLICATIONS = [
    ({"recipient": {**citizen(1), "nik": "62710115089O0001"}}, "recipient.nik"),
    ({"recipient": {**citizen(1), "nik": "6271 0115 0890 0001"}}, "recipient.nik"),
    ({"recipient": {**citizen(1), "nik": "6271011508900001' OR '1'='1"}}, "recipient.nik"),
    ({"recipient": {**citizen(1), "nik": 6271011508900001}}, "recipient.nik"),
    ({"recipient": {**citizen(1), "nik": "9" * 10_000}}, "recipient.nik"),
    ({"recipient": {**citizen(1), "name": "Budi\u202e"}}, "recipient.name"),
    ({"recipient": {**citizen(1), "name": "wa.me/6281234"}}, "recipient.name"),
    ({"recipient": {**citizen(1), "type": "pejabat"}}, "recipient.type"),
    ({"recipient": {**citizen(1), "phone": "12345"}}, "recipient.phone"),
    ({"recipient": {**citizen(1), "programme_status": "admitted"}}, "recipient.programme_status"),
    ({"quantity": 0}, "quantity"),
    ({"quantity": "1"}, "quantity"),
    ({"sku": "../masker"}, "sku"),
    ({"status": "admitted"}, "status"),
]


@pytest.mark.parametrize(("changes", "field"), HOSTILE_APPLICATIONS)
async def test_hostile_applications_are_refused_naming_the_field(
    client: HubClient, hub: str, database, changes: dict, field: str
):
    opened = await open_programme(client, hub)
    body = {"sku": "masker-kain", "quantity": 1, "recipient": citizen(1), **changes}
    path = f"/v1/programmes/{opened['id']}/applications"

    status, problem = await status_of(client, "POST", path, client.operator_token, body)

    assert status == 422, problem
    assert field in [error["field"] for error in problem["errors"]], problem
    assert "6271011508900001" not in str(problem)
    assert await count(database, opened["id"]) == 0


async def test_unknown_programmes_and_draws_are_not_found(client: HubClient, hub: str):
    opened = await open_programme(client, hub)
    nobody = uuid.uuid4()
    for path in (
        f"/v1/programmes/{nobody}",
        f"/v1/programmes/{nobody}/draws",
        f"/v1/programmes/{opened['id']}/draws/{nobody}",
        "/v1/programmes/not-a-uuid",
    ):
        assert (await status_of(client, "GET", path, None))[0] in (404, 422), path
    body = {"sku": "masker-kain", "quantity": 1, "recipient": citizen(1)}
    path = f"/v1/programmes/{nobody}/applications"
    assert (await status_of(client, "POST", path, client.operator_token, body))[0] == 404
    for seed in (-1, 2**63, "7", 1.5):
        draws = f"/v1/programmes/{opened['id']}/draws"
        assert (await status_of(client, "POST", draws, client.operator_token, {"seed": seed}))[
            0
        ] == 422


async def test_a_nik_never_reaches_the_log(client: HubClient, hub: str, stack: Stack):
    opened = await open_programme(client, hub)
    marker = str(uuid.uuid4())
    secret = nik(4321)
    url = f"{client.urls['orders']}/v1/programmes/{opened['id']}/applications"
    for recipient in (citizen(4321), {**citizen(4321), "region": "Kabupaten Lain"}):
        body = {"sku": "masker-kain", "quantity": 1, "recipient": recipient}
        headers = {**client.to_orders(str(uuid.uuid4())), "X-Correlation-ID": marker}
        async with client.session.post(url, json=body, headers=headers) as response:
            assert response.status in (201, 403)
    log = stack["orders"].log_path

    async def logged() -> bool:
        return log.read_text(errors="replace").count(marker) >= 2

    await wait_until(logged, what="both requests logged")
    assert secret not in log.read_text(errors="replace")


async def test_a_published_draw_opens_no_applicants_order(client: HubClient, hub: str):
    """Anyone reads a draw: what it names (tickets) must open no order. Each ticket, typed as a
    code, finds nothing (the site's own key, which tracks any order, included); and no
    applicant's code or order id is in the draw, its list, or the programme."""
    opened = await open_programme(client, hub, selection="lottery", budget=5000)
    applied = [(await apply(client, opened["id"], citizen(n)))[1] for n in range(1, 5)]
    draw_path = f"/v1/programmes/{opened['id']}/draws"
    drawn = await client.call(
        "orders", "POST", draw_path, json={"seed": 3}, headers=client.as_operator()
    )

    read = []
    for path in (f"{draw_path}/{drawn['id']}", draw_path, f"/v1/programmes/{opened['id']}"):
        status, body = await status_of(client, "GET", path, None)
        assert status == 200
        read.append(str(body).casefold())
    for application in applied:
        code = application["code"]
        for secret in (code, code.replace("-", ""), application["order_id"]):
            assert all(secret.casefold() not in body for body in read), secret
    for ticket in drawn["entrant_tickets"]:
        for typed in (ticket, ticket.removeprefix("T-"), ticket.replace("-", "")):
            for token in (client.operator_token, None):
                status, _ = await status_of(client, "GET", f"/v1/order-codes/{typed}", token)
                assert status in (401, 404), (typed, status)
