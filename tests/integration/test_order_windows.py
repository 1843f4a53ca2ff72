"""Order windows (issue 21) in the running orders service: orders taken only within the period
and the cap, refused with their own problems, counted race-free under concurrent POSTs; the
operators' API to open, change, close and read them."""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from services.orders.domain import PlaceOrder
from services.orders.group_commit import place_all
from services.orders.idempotency import Answer
from services.orders.models import NewOrder
from shared.problems import Problem
from tests.support.stack_env import OPERATOR_STAFF_TOKEN, OPERATOR_VIEWER_TOKEN
from tools.client import ApiError, HubClient, wait_until

BUYER = {"name": "Dinas Kesehatan Kapuas", "type": "agency", "region": "Kuala Kapuas"}
CITIZEN = {"name": "Siti Aminah", "type": "individual", "region": "Kuala Kapuas"}
CONCURRENT = 200


def order(hub: str, quantity: int = 1, buyer: dict = BUYER) -> dict:
    return {"hub": hub, "sku": "masker-kain", "quantity": quantity, "buyer": buyer}


async def post(client: HubClient, body: dict) -> tuple[int, dict]:
    url = f"{client.urls['orders']}/v1/orders"
    headers = client.to_orders(str(uuid.uuid4()))
    async with client.session.post(url, json=body, headers=headers) as response:
        return response.status, await response.json(content_type=None)


async def open_window(
    client: HubClient, hub: str, cap: int, opens_in: timedelta = -timedelta(minutes=1)
) -> dict:
    now = datetime.now(UTC)
    body = {
        "hub": hub,
        "sku": "masker-kain",
        "opens_at": (now + opens_in).isoformat(),
        "closes_at": (now + opens_in + timedelta(days=7)).isoformat(),
        "cap": cap,
        "timezone": "Asia/Makassar",
    }
    return await client.call(
        "orders", "POST", "/v1/order-windows", json=body, headers=client.as_operator()
    )


async def window(client: HubClient, window_id: str) -> dict:
    path = f"/v1/order-windows/{window_id}"
    return await client.call("orders", "GET", path, headers=client.as_operator())


async def test_orders_past_the_cap_are_refused_and_counted(client: HubClient, hub: str):
    opened = await open_window(client, hub, cap=5)
    assert opened["status"] == "open" and opened["left"] == 5

    first = await post(client, order(hub, 3))
    over = await post(client, order(hub, 3, CITIZEN))
    rest = await post(client, order(hub, 2, CITIZEN))

    assert first[0] == 201 and rest[0] == 201
    status, problem = over
    assert status == 409 and problem["type"] == "/problems/window-full", problem
    assert "2 unit" in problem["detail"]
    now = await window(client, opened["id"])
    assert (now["ordered"], now["left"], now["orders"], now["refused"]) == (5, 0, 2, 1)
    assert now["status"] == "full"
    assert now["by_buyer_type"] == {
        "agency": {"units": 3, "orders": 1, "refused": 0},
        "individual": {"units": 2, "orders": 1, "refused": 1},
    }


async def test_an_order_before_the_window_opens_is_told_when_it_opens(
    client: HubClient, hub: str, database: asyncpg.Connection
):
    await open_window(client, hub, cap=100, opens_in=timedelta(days=2))

    status, problem = await post(client, order(hub))

    assert status == 409 and problem["type"] == "/problems/window-closed", problem
    assert "WITA" in problem["detail"]  # in the hub's zone, as its people read it
    assert await database.fetchval("SELECT count(*) FROM orders.orders WHERE hub = $1", hub) == 0


async def test_a_closed_window_refuses_and_a_new_one_takes_orders_again(
    client: HubClient, hub: str
):
    opened = await open_window(client, hub, cap=100)
    assert (await post(client, order(hub)))[0] == 201
    path = f"/v1/order-windows/{opened['id']}/close"
    closed = await client.call("orders", "POST", path, headers=client.as_operator())
    assert closed["status"] == "closed"

    status, problem = await post(client, order(hub))
    assert status == 409 and problem["type"] == "/problems/window-closed"

    await open_window(client, hub, cap=10)
    assert (await post(client, order(hub)))[0] == 201


async def test_concurrent_orders_fill_the_window_to_its_cap_and_never_over(
    client: HubClient, hub: str, database: asyncpg.Connection
):
    cap = 137
    opened = await open_window(client, hub, cap=cap)

    answers = await asyncio.gather(*(post(client, order(hub)) for _ in range(CONCURRENT)))

    statuses = [status for status, _ in answers]
    assert statuses.count(201) == cap, statuses
    assert statuses.count(409) == CONCURRENT - cap
    assert {body["type"] for status, body in answers if status == 409} == {"/problems/window-full"}
    units = await database.fetchval("SELECT sum(quantity) FROM orders.orders WHERE hub = $1", hub)
    assert units == cap
    now = await window(client, opened["id"])
    assert (now["ordered"], now["orders"], now["refused"]) == (cap, cap, CONCURRENT - cap)


async def test_one_refused_in_a_batch_leaves_the_others_taken(client: HubClient, hub: str):
    await open_window(client, hub, cap=10)
    # Sent together, so the group commit places them together: the 8 fits, the 5 then does
    # not, the 2 still does.
    answers = await asyncio.gather(
        post(client, order(hub, 8)), post(client, order(hub, 5)), post(client, order(hub, 2))
    )
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201, 201, 409], answers


async def test_the_cap_may_not_go_below_what_was_ordered(client: HubClient, hub: str):
    opened = await open_window(client, hub, cap=10)
    assert (await post(client, order(hub, 4)))[0] == 201
    path = f"/v1/order-windows/{opened['id']}"

    with pytest.raises(ApiError) as refused:
        await client.call("orders", "PATCH", path, json={"cap": 3}, headers=client.as_operator())
    changed = await client.call(
        "orders", "PATCH", path, json={"cap": 4}, headers=client.as_operator()
    )

    assert refused.value.status == 422
    assert [e["field"] for e in refused.value.body["errors"]] == ["cap"]
    assert changed["cap"] == 4 and changed["status"] == "full"


async def test_overlapping_and_malformed_windows_are_refused(client: HubClient, hub: str):
    await open_window(client, hub, cap=10)
    with pytest.raises(ApiError) as overlapping:
        await open_window(client, hub, cap=10, opens_in=timedelta(days=1))
    assert overlapping.value.status == 409
    assert overlapping.value.body["type"] == "/problems/window-overlaps"

    bad = {"hub": hub, "sku": "masker-kain", "opens_at": "2030-01-02T00:00:00", "cap": 0}
    with pytest.raises(ApiError) as malformed:
        await client.call(
            "orders", "POST", "/v1/order-windows", json=bad, headers=client.as_operator()
        )
    assert malformed.value.status == 422
    fields = {e["field"] for e in malformed.value.body["errors"]}
    assert {"opens_at", "closes_at", "cap"} <= fields


async def test_only_the_admin_opens_windows_and_operators_read_them(
    client: HubClient, hub: str, partner_client: HubClient
):
    opened = await open_window(client, hub, cap=10)
    body = {
        "hub": hub,
        "sku": "masker-kain",
        "opens_at": "2030-01-01T08:00:00+07:00",
        "closes_at": "2030-01-02T08:00:00+07:00",
        "cap": 10,
    }
    for token in (OPERATOR_STAFF_TOKEN, OPERATOR_VIEWER_TOKEN):
        lower = HubClient(client.session, client.urls, operator_token=token)
        with pytest.raises(ApiError) as refused:
            await lower.call(
                "orders", "POST", "/v1/order-windows", json=body, headers=lower.as_operator()
            )
        assert (refused.value.status, refused.value.body["type"]) == (403, "/problems/role-too-low")
        close = f"/v1/order-windows/{opened['id']}/close"
        with pytest.raises(ApiError) as refused:
            await lower.call("orders", "POST", close, headers=lower.as_operator())
        assert refused.value.status == 403
    viewer = HubClient(client.session, client.urls, operator_token=OPERATOR_VIEWER_TOKEN)
    listed = await viewer.call(
        "orders", "GET", f"/v1/order-windows?hub={hub}", headers=viewer.as_operator()
    )
    assert [w["id"] for w in listed["windows"]] == [opened["id"]]
    with pytest.raises(ApiError) as partner:
        await partner_client.call(
            "orders", "GET", "/v1/order-windows", headers=partner_client.to_orders()
        )
    assert (partner.value.status, partner.value.body["type"]) == (403, "/problems/operator-only")


async def test_one_transaction_takes_the_orders_that_fit_and_refuses_the_one_that_does_not(
    client: HubClient, hub: str, database: asyncpg.Connection
):
    await open_window(client, hub, cap=10)
    commands = [
        PlaceOrder(
            new=NewOrder.model_validate(order(hub, quantity)),
            partner_id=None,
            correlation_id="test",
            owner="operator",
            key=None,
            request_hash="",
        )
        for quantity in (8, 5, 2)
    ]
    for json_type in ("json", "jsonb"):  # as the service's pool has them (shared/db.py)
        await database.set_type_codec(
            json_type, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
    async with database.transaction():
        await database.execute("SET LOCAL search_path TO orders, public")
        outcomes = await place_all(database, commands)

    taken, refused, fits = outcomes
    assert isinstance(taken, Answer) and taken.status == 201
    assert isinstance(refused, Problem) and refused.kind == "window-full"
    assert isinstance(fits, Answer) and fits.status == 201
    assert (
        await database.fetchval("SELECT ordered FROM orders.order_windows WHERE hub = $1", hub)
        == 10
    )


async def test_a_closed_windows_summary_goes_to_the_operators_once(
    client: HubClient, hub: str, stack
):
    opened = await open_window(client, hub, cap=3)
    assert (await post(client, order(hub, 2)))[0] == 201
    assert (await post(client, order(hub, 2, CITIZEN)))[0] == 409
    path = f"/v1/order-windows/{opened['id']}/close"
    await client.call("orders", "POST", path, headers=client.as_operator())

    async def summarised() -> dict | None:
        read = await window(client, opened["id"])
        return read if read["summarised_at"] else None

    await wait_until(summarised, what="the closed window summarised")

    async def logged() -> list[dict]:
        lines = stack["orders"].log_path.read_text().splitlines()
        found = [json.loads(line) for line in lines if opened["id"] in line]
        return [entry for entry in found if entry.get("event") == "order window summary"]

    [summary] = await wait_until(logged, what="the summary logged")
    assert (summary["ordered"], summary["orders"], summary["refused"]) == (2, 1, 1)
    assert summary["by_buyer_type"]["individual"]["refused"] == 1
