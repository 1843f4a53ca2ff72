"""Many orders at once (`POST /v1/order-batches`): all placed in one transaction, each announced
and queued like a single order, or none at all, with every bad order named by its index; a
retry under the same Idempotency-Key gets the first answer back and places nothing more."""

import json

import asyncpg

from tests.support.bus import EventTap
from tests.support.refusals import assert_no_event_since, row_counts
from tests.support.stack_env import OPERATOR_STAFF_TOKEN, OPERATOR_VIEWER_TOKEN
from tools.client import HubClient, wait_until

SKU = "masker-kain"
STAFF = {"Authorization": f"Bearer {OPERATOR_STAFF_TOKEN}"}


def an_order(hub: str, n: int, **changes) -> dict:
    buyer = {
        "name": f"Pegawai Dinas {n}",
        "type": "individual",
        "region": "Palangka Raya",
        "phone": f"0812 3456 {n:04d}",
    }
    return {"hub": hub, "sku": SKU, "quantity": 1 + n % 5, "buyer": buyer, **changes}


async def post_batch(
    client: HubClient, orders: list, key: str | None, headers: dict | None = None
) -> tuple[int, dict, bytes]:
    sent = dict(headers or STAFF)
    if key is not None:
        sent["Idempotency-Key"] = key
    url = f"{client.urls['orders']}/v1/order-batches"
    async with client.session.post(url, json={"orders": orders}, headers=sent) as response:
        return response.status, dict(response.headers), await response.read()


async def count_orders(database: asyncpg.Connection, hub: str) -> int:
    return await database.fetchval("SELECT count(*) FROM orders.orders WHERE hub = $1", hub)


async def test_a_batch_is_placed_announced_and_queued_like_single_orders(
    client: HubClient, hub: str, tap: EventTap
):
    orders = [an_order(hub, n) for n in range(5)]
    orders[1]["buyer"]["type"] = "health_facility"

    status, _headers, body = await post_batch(client, orders, "batch-1")

    assert status == 201, body
    answer = json.loads(body)
    assert answer["placed"] == 5
    placed = answer["orders"]
    assert [o["buyer"]["name"] for o in placed] == [o["buyer"]["name"] for o in orders]
    assert [o["quantity"] for o in placed] == [o["quantity"] for o in orders]
    assert placed[1]["priority_class"] == "health" and placed[0]["priority_class"] == "public"
    assert placed[0]["buyer"]["phone"] == "+6281234560000"
    read = await client.order(placed[3]["id"])
    assert read["status"] == "queued" and read["buyer"] == placed[3]["buyer"]

    ids = {o["id"] for o in placed}
    for order_id in ids:
        await tap.wait_for(
            lambda e, order_id=order_id: (
                e.type == "order.placed" and e.payload["order_id"] == order_id
            ),
            what="order.placed of each order of the batch",
        )

    async def all_queued():
        queued = {row["order_id"] for row in (await client.queue(hub, SKU))["orders"]}
        return ids <= queued

    await wait_until(all_queued, what="the batch's orders in the allocator's queue")


async def test_one_bad_order_places_none_and_every_error_is_named_by_its_index(
    client: HubClient, hub: str, tap: EventTap, database: asyncpg.Connection
):
    orders = [an_order(hub, n) for n in range(4)]
    orders[1] = an_order(hub, 1, quantity=0)
    orders[3]["buyer"]["phone"] = "12345"
    before, seen = await row_counts(database, "orders", hub), len(tap.events)

    status, _headers, body = await post_batch(client, orders, "batch-bad")

    assert status == 422, body
    problem = json.loads(body)
    fields = {error["field"] for error in problem["errors"]}
    assert fields == {"orders[1].quantity", "orders[3].buyer.phone"}, problem
    assert "2" in problem["detail"] and "4" in problem["detail"]
    assert await row_counts(database, "orders", hub) == before

    async def sentinel():
        return "order_id", (await client.place_order(hub, SKU, 1, an_order(hub, 9)["buyer"]))["id"]

    await assert_no_event_since(tap, seen, hub, sentinel)


async def test_an_unknown_product_in_one_order_rolls_back_the_others(
    client: HubClient, hub: str, tap: EventTap, database: asyncpg.Connection
):
    """Only the database knows the catalog: the orders before it were inserted, then undone."""
    orders = [an_order(hub, n) for n in range(3)]
    orders[2]["sku"] = "tidak-ada"
    seen = len(tap.events)

    status, _headers, body = await post_batch(client, orders, "batch-unknown")

    assert status == 422, body
    problem = json.loads(body)
    assert [error["field"] for error in problem["errors"]] == ["orders[2].sku"]
    assert await count_orders(database, hub) == 0

    async def sentinel():
        return "order_id", (await client.place_order(hub, SKU, 1, an_order(hub, 9)["buyer"]))["id"]

    await assert_no_event_since(tap, seen, hub, sentinel)

    # Refusals are not kept: the corrected batch may go under the same key.
    orders[2]["sku"] = SKU
    status, _headers, body = await post_batch(client, orders, "batch-unknown")
    assert status == 201, body
    assert await count_orders(database, hub) == 3 + 1


async def test_a_retry_gets_the_first_answer_and_places_nothing_more(
    client: HubClient, hub: str, database: asyncpg.Connection
):
    orders = [an_order(hub, n) for n in range(3)]
    first = await post_batch(client, orders, "batch-retry")
    again = await post_batch(client, orders, "batch-retry")

    assert first[0] == again[0] == 201
    assert again[2] == first[2], "the same answer, byte for byte"
    assert again[1].get("Idempotent-Replayed") == "true"
    assert await count_orders(database, hub) == 3

    other = await post_batch(client, orders[:2], "batch-retry")
    assert other[0] == 422 and b"/problems/idempotency-key-reused" in other[2]
    assert await count_orders(database, hub) == 3


async def test_a_batch_needs_a_key_and_a_staff_token(
    client: HubClient, partner_client: HubClient, hub: str, database: asyncpg.Connection
):
    orders = [an_order(hub, 1)]
    no_key = await post_batch(client, orders, None)
    assert no_key[0] == 400 and b"/problems/idempotency-key-required" in no_key[2]

    viewer = {"Authorization": f"Bearer {OPERATOR_VIEWER_TOKEN}"}
    assert (await post_batch(client, orders, "batch-viewer", viewer))[0] == 403
    partner = partner_client.to_orders()
    refused = await post_batch(client, orders, "batch-partner", partner)
    assert refused[0] == 403 and b"/problems/operator-only" in refused[2]
    assert await count_orders(database, hub) == 0


async def test_the_most_a_batch_takes_is_placed_and_one_more_is_refused(
    client: HubClient, hub: str, database: asyncpg.Connection
):
    """500 orders are far over one order's 16 KB body: the batch's route takes them."""
    orders = [an_order(hub, n) for n in range(501)]

    too_many = await post_batch(client, orders, "batch-501")
    assert too_many[0] == 422, too_many[2]
    assert b'"orders"' in too_many[2]
    assert await count_orders(database, hub) == 0

    status, _headers, body = await post_batch(client, orders[:500], "batch-500")
    assert status == 201, body[:500]
    assert await count_orders(database, hub) == 500
