"""Partners against the running orders service: keys, scopes, hubs, their own orders only, rate
limits, idempotency keys of their own, and the operators' command and admin API."""

import asyncio
import hashlib
import json
import os
import sys

import asyncpg
import pytest

from tests.support.stack import Stack
from tools.client import ApiError, HubClient, new_hub_code
from tools.local_services import ROOT

SKU = "masker-kain"
BANK = {"name": "Bank Kalteng", "type": "bank", "region": "Palangka Raya"}


async def status_of(client: HubClient, method: str, path: str, **kwargs) -> tuple[int, dict]:
    try:
        return 200, await client.call("orders", method, path, **kwargs)
    except ApiError as error:
        return error.status, error.body


def bearer(token: str, idempotency_key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    return headers


def order(hub: str) -> dict:
    return {"hub": hub, "sku": SKU, "quantity": 3, "buyer": BANK}


# --- keys ---------------------------------------------------------------------------------


async def test_missing_and_malformed_keys_are_401(client: HubClient, hub: str, partner: dict):
    key = partner["api_key"]
    wrong_secret = key[: key.rindex("_") + 1] + "x" * 43
    for headers in (
        {},
        {"Authorization": key},  # no scheme
        bearer("plut_"),
        bearer("plut_nothing"),
        bearer(wrong_secret),
        bearer("plut_000000000000_" + "x" * 43),  # no such prefix
        bearer("not-the-operator-token"),
    ):
        status, problem = await status_of(
            client, "GET", f"/v1/hubs/{hub}/products", headers=headers
        )
        assert status == 401, headers
        assert problem["type"] == "/problems/unauthorised"


async def test_the_key_is_kept_only_as_a_hash(partner: dict, database: asyncpg.Connection):
    key = partner["api_key"]
    prefix = key.split("_")[1]
    row = await database.fetchrow("SELECT * FROM orders.partner_keys WHERE prefix = $1", prefix)
    assert row["key_hash"] == hashlib.sha256(key.encode()).digest()
    dump = await database.fetchval(
        "SELECT string_agg(t::text, '') FROM (SELECT * FROM orders.partner_keys) t"
    )
    assert key not in dump and key.split("_", 2)[2] not in dump
    assert [k["prefix"] for k in partner["partner"]["keys"]] == [prefix]


async def test_a_revoked_key_stops_at_once(client: HubClient, hub: str, partner: dict):
    as_partner = client.as_partner(partner["api_key"])
    assert await as_partner.catalog(hub)
    prefix = partner["partner"]["keys"][0]["prefix"]

    listed = await client.revoke_key(partner["partner"]["id"], prefix)

    assert listed["keys"][0]["revoked_at"] is not None
    status, _ = await status_of(
        as_partner, "GET", f"/v1/hubs/{hub}/products", headers=bearer(partner["api_key"])
    )
    assert status == 401


async def test_rotation_keeps_both_keys_for_the_change_over(
    client: HubClient, hub: str, partner: dict, database: asyncpg.Connection
):
    partner_id = partner["partner"]["id"]
    old = client.as_partner(partner["api_key"])

    rotated = await client.rotate_key(partner_id, previous_key_valid_seconds=3600)
    new = client.as_partner(rotated["api_key"])

    assert rotated["api_key"] != partner["api_key"]
    assert await old.catalog(hub) and await new.catalog(hub), "both work during the change-over"
    placed_with_old = await old.place_order(hub, SKU, 1, BANK)
    assert (await new.order(placed_with_old["id"]))["id"] == placed_with_old["id"], "one partner"

    # The change-over ends: the old key's hour is over (set here rather than waited for).
    await database.execute(
        "UPDATE orders.partner_keys SET expires_at = now() WHERE prefix = $1",
        partner["partner"]["keys"][0]["prefix"],
    )
    with pytest.raises(ApiError) as refused:
        await old.catalog(hub)
    assert refused.value.status == 401
    assert await new.catalog(hub)


async def test_rotation_with_no_grace_ends_the_old_key_now(
    client: HubClient, hub: str, partner: dict
):
    rotated = await client.rotate_key(partner["partner"]["id"], previous_key_valid_seconds=0)
    with pytest.raises(ApiError) as refused:
        await client.as_partner(partner["api_key"]).catalog(hub)
    assert refused.value.status == 401
    assert await client.as_partner(rotated["api_key"]).catalog(hub)


# --- scopes and hubs ----------------------------------------------------------------------


async def test_scopes_decide_reading_and_writing(client: HubClient, hub: str):
    reader = await client.create_partner("Pembaca", [hub], scopes=["orders:read"])
    writer = await client.create_partner("Penulis", [hub], scopes=["orders:write"])
    as_reader = client.as_partner(reader["api_key"])
    as_writer = client.as_partner(writer["api_key"])

    with pytest.raises(ApiError) as refused:
        await as_reader.place_order(hub, SKU, 1, BANK)
    assert refused.value.status == 403
    assert refused.value.body["type"] == "/problems/missing-scope"
    placed = await as_writer.place_order(hub, SKU, 1, BANK)
    with pytest.raises(ApiError) as refused:
        await as_writer.order(placed["id"])
    assert refused.value.status == 403
    assert await as_reader.catalog(hub)


async def test_a_partner_orders_only_for_its_hubs(client: HubClient, hub: str, partner: dict):
    other_hub = new_hub_code()
    await client.open_hub(other_hub)
    as_partner = client.as_partner(partner["api_key"])

    for attempt in (as_partner.place_order(other_hub, SKU, 1, BANK), as_partner.catalog(other_hub)):
        with pytest.raises(ApiError) as refused:
            await attempt
        assert refused.value.status == 403
        assert refused.value.body["type"] == "/problems/hub-not-allowed"
    assert (await as_partner.place_order(hub, SKU, 1, BANK))["hub"] == hub


async def test_a_partner_may_not_act_as_operator(client: HubClient, hub: str, partner: dict):
    key = partner["api_key"]
    for method, path in (("GET", "/v1/partners"), ("POST", "/v1/partners")):
        status, problem = await status_of(
            client,
            method,
            path,
            json={"name": "x", "hubs": [hub], "scopes": ["orders:read"]},
            headers=bearer(key),
        )
        assert status == 403 and problem["type"] == "/problems/operator-only"


# --- their own orders only (BOLA) ---------------------------------------------------------


async def test_another_partners_order_is_404_to_read_and_to_cancel(
    client: HubClient, hub: str, partner: dict, database: asyncpg.Connection
):
    mine = await client.as_partner(partner["api_key"]).place_order(hub, SKU, 2, BANK)
    other = await client.create_partner("Mitra lain", [hub])
    as_other = client.as_partner(other["api_key"])

    for method, path, key in (
        ("GET", f"/v1/orders/{mine['id']}", None),
        ("POST", f"/v1/orders/{mine['id']}/cancel", "c-1"),
    ):
        status, problem = await status_of(
            as_other, method, path, headers=bearer(other["api_key"], key)
        )
        assert status == 404 and problem["type"] == "/problems/not-found", (method, problem)
    row = await database.fetchrow(
        "SELECT status FROM orders.orders WHERE id = $1::uuid", mine["id"]
    )
    assert row["status"] == "queued", "the other partner's cancel changed nothing"
    assert (await client.order(mine["id"]))["id"] == mine["id"], "the operator sees every order"


# --- idempotency --------------------------------------------------------------------------


async def test_partners_must_send_an_idempotency_key(
    client: HubClient, hub: str, partner: dict, database: asyncpg.Connection
):
    status, problem = await status_of(
        client, "POST", "/v1/orders", json=order(hub), headers=bearer(partner["api_key"])
    )
    assert status == 400 and problem["type"] == "/problems/idempotency-key-required"
    count = "SELECT count(*) FROM orders.orders WHERE hub = $1"
    assert await database.fetchval(count, hub) == 0


async def test_two_partners_may_pick_the_same_key(
    client: HubClient, hub: str, partner: dict, database: asyncpg.Connection
):
    other = await client.create_partner("Mitra lain", [hub])
    first = await client.as_partner(partner["api_key"]).place_order(hub, SKU, 1, BANK, "k-1")
    second = await client.as_partner(other["api_key"]).place_order(hub, SKU, 1, BANK, "k-1")
    assert first["id"] != second["id"]
    count = "SELECT count(*) FROM orders.orders WHERE hub = $1"
    assert await database.fetchval(count, hub) == 2


async def test_a_cancel_retried_with_its_key_answers_the_same(
    client: HubClient, hub: str, partner: dict
):
    as_partner = client.as_partner(partner["api_key"])
    placed = await as_partner.place_order(hub, SKU, 1, BANK)
    path = f"/v1/orders/{placed['id']}/cancel"
    headers = bearer(partner["api_key"], "cancel-1")
    first = await as_partner.call("orders", "POST", path, headers=headers)
    again = await as_partner.call("orders", "POST", path, headers=headers)
    assert first == again and first["status"] == "cancelled"


# --- rate limits --------------------------------------------------------------------------


async def test_a_key_over_its_rate_gets_429_with_retry_after(client: HubClient, hub: str):
    limited = await client.create_partner("Mitra kecil", [hub], requests_per_minute=5)
    headers = bearer(limited["api_key"])
    url = f"{client.urls['orders']}/v1/hubs/{hub}/products"

    async def get() -> tuple[int, str | None]:
        async with client.session.get(url, headers=headers) as response:
            return response.status, response.headers.get("Retry-After")

    wrong = limited["api_key"][:-4] + "xxxx"
    async with client.session.get(url, headers=bearer(wrong)) as response:
        assert response.status == 401, "and a wrong secret spends nothing of the key's rate"
    answers = [await get() for _ in range(7)]

    assert [status for status, _ in answers] == [200] * 5 + [429] * 2
    retry_after = int(answers[-1][1])
    assert 1 <= retry_after <= 12, "one request comes back every 12 s at 5 a minute"
    other = await client.create_partner("Mitra lain", [hub], requests_per_minute=5)
    assert await client.as_partner(other["api_key"]).catalog(hub), "limits are per key"


# --- the operators' side ------------------------------------------------------------------


async def test_bad_partners_are_refused_naming_the_field(client: HubClient, hub: str):
    for fields, field in (
        ({"hubs": ["tidak-ada"]}, "hubs.0"),
        ({"hubs": []}, "hubs"),
        ({"scopes": ["orders:delete"]}, "scopes.0"),
        ({"callback_url": "ftp://bank.example"}, "callback_url"),
        ({"requests_per_minute": 0}, "requests_per_minute"),
    ):
        body = {"name": "Bank", "hubs": [hub], "scopes": ["orders:read"], **fields}
        status, problem = await status_of(
            client, "POST", "/v1/partners", json=body, headers=client.as_operator()
        )
        assert status == 422 and field in {e["field"] for e in problem["errors"]}, problem


async def test_the_command_creates_a_partner_whose_key_works(
    client: HubClient, hub: str, stack: Stack
):
    env = {**os.environ, "DATABASE_URL": stack.services["orders"].env["DATABASE_URL"]}
    command = [
        sys.executable,
        "-m",
        "services.orders.partners.cli",
        "create",
        "--name",
        "Bank dari baris perintah",
        "--hub",
        hub,
        "--scope",
        "orders:read",
    ]
    process = await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    assert process.returncode == 0

    created = json.loads(out)
    assert created["partner"]["scopes"] == ["orders:read"]
    assert await client.as_partner(created["api_key"]).catalog(hub)
    listed = await client.call("orders", "GET", "/v1/partners", headers=client.as_operator())
    assert created["partner"]["id"] in {p["id"] for p in listed["partners"]}
