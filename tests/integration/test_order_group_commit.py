"""Concurrent POSTs placed together: fewer transactions than orders, each answered with its own
order, a refused one refused alone, and a key used twice in one batch acting once."""

import asyncio
import re
import uuid

import asyncpg

from tests.support.stack_env import SCRAPER
from tools.client import HubClient

BUYER = {"name": "Dinas Kesehatan Kapuas", "type": "agency", "region": "Kuala Kapuas"}
CONCURRENT = 40


def order(hub: str, **fields) -> dict:
    return {"hub": hub, "sku": "masker-kain", "quantity": 1, "buyer": BUYER, **fields}


async def post(client: HubClient, body: dict, key: str) -> tuple[int, dict]:
    url = f"{client.urls['orders']}/v1/orders"
    async with client.session.post(url, json=body, headers=client.to_orders(key)) as response:
        return response.status, await response.json(content_type=None)


async def group_commits(client: HubClient) -> dict[str, float]:
    """The orders service's counts of placing transactions and of the orders they held."""
    async with client.session.get(f"{client.urls['orders']}/metrics", headers=SCRAPER) as response:
        text = await response.text()
    found = re.findall(r'plut_order_group_commits_total\{[^}]*what="(\w+)"[^}]*\} (\S+)', text)
    return {what: float(value) for what, value in found}


async def hub_orders(database: asyncpg.Connection, hub: str) -> int:
    return await database.fetchval("SELECT count(*) FROM orders.orders WHERE hub = $1", hub)


async def test_concurrent_posts_share_transactions_and_each_gets_its_own_order(
    client: HubClient, hub: str, database: asyncpg.Connection
):
    before = await group_commits(client)
    bodies = [order(hub, quantity=n + 1) for n in range(CONCURRENT)]

    answers = await asyncio.gather(*(post(client, body, str(uuid.uuid4())) for body in bodies))

    after = await group_commits(client)
    assert [status for status, _ in answers] == [201] * CONCURRENT, answers
    assert [placed["quantity"] for _, placed in answers] == list(range(1, CONCURRENT + 1))
    assert len({placed["id"] for _, placed in answers}) == CONCURRENT
    assert await hub_orders(database, hub) == CONCURRENT
    transactions = after["transactions"] - before.get("transactions", 0)
    assert 1 <= transactions < CONCURRENT, "some were placed together"
    assert after["orders"] - before.get("orders", 0) == CONCURRENT


async def test_a_refused_post_among_concurrent_ones_is_refused_alone(
    client: HubClient, hub: str, database: asyncpg.Connection
):
    used = str(uuid.uuid4())
    assert (await post(client, order(hub), used))[0] == 201
    good = [order(hub, quantity=n + 1) for n in range(CONCURRENT)]

    answers = await asyncio.gather(
        *(post(client, body, str(uuid.uuid4())) for body in good[:20]),
        post(client, order(hub, sku="masker-n95"), str(uuid.uuid4())),
        post(client, order(hub, quantity=7), used),  # the key of another request
        post(client, order("tidak-ada"), str(uuid.uuid4())),
        *(post(client, body, str(uuid.uuid4())) for body in good[20:]),
    )

    placed, refused = answers[:20] + answers[23:], answers[20:23]
    assert [status for status, _ in placed] == [201] * CONCURRENT
    assert [placed["quantity"] for _, placed in placed] == list(range(1, CONCURRENT + 1))
    unknown_sku, key_reused, unknown_hub = (problem for _, problem in refused)
    assert [status for status, _ in refused] == [422, 422, 422], refused
    assert [error["field"] for error in unknown_sku["errors"]] == ["sku"]
    assert key_reused["type"].endswith("idempotency-key-reused")
    assert [error["field"] for error in unknown_hub["errors"]] == ["hub"]
    assert await hub_orders(database, hub) == 1 + CONCURRENT


async def test_one_key_sent_twice_at_once_places_one_order(
    client: HubClient, hub: str, database: asyncpg.Connection
):
    for quantity in range(100, 105):
        key = str(uuid.uuid4())
        others = [post(client, order(hub), str(uuid.uuid4())) for _ in range(10)]

        *_, first, second = await asyncio.gather(
            *others,
            post(client, order(hub, quantity=quantity), key),
            post(client, order(hub, quantity=quantity), key),
        )

        statuses = sorted([first[0], second[0]])
        assert statuses in ([201, 201], [201, 409]), (first, second)
        if statuses == [201, 201]:  # the second came after the first's commit: replayed
            assert first[1]["id"] == second[1]["id"]
        else:
            refused = first if first[0] == 409 else second
            assert refused[1]["type"].endswith("idempotency-key-in-flight")
        count = await database.fetchval(
            "SELECT count(*) FROM orders.orders WHERE hub = $1 AND quantity = $2", hub, quantity
        )
        assert count == 1
