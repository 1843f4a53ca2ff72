"""`docker compose up -d --scale allocator=3` while orders and deliveries flow: every order the
orders service took reaches the allocator once, no unit is given twice or lost, the orders'
counts agree with the allocator's, and Prometheus scrapes all three replicas."""

import asyncio

import aiohttp
import asyncpg

from tests.compose.project import FIGURES, ComposeProject
from tests.support.allocator_invariants import orders_get_what_they_asked, units_given_once
from tools.client import HubClient, new_hub_code, wait_until
from tools.founding_day import SKU

ORDER_UNITS, DELIVERY_UNITS, ORDERS_PER_DELIVERY = 3, 10, 5  # supply short of demand
ORDERS_AFTER_SCALING = 40
PACE = 0.05  # seconds between orders: a steady stream, not a flood, while compose works
BUYER = {"name": "Dinas Kesehatan Kapuas", "type": "agency", "region": "Kuala Kapuas"}
COUNTS = """
SELECT o.id, o.quantity, o.allocated AS orders_view, q.allocated AS allocator_view,
       (SELECT count(*) FROM allocator.queue AS again WHERE again.order_id = o.id) AS queued
FROM orders.orders AS o LEFT JOIN allocator.queue AS q ON q.order_id = o.id
WHERE o.hub = $1
"""


async def test_three_allocators_share_the_flow_with_nothing_lost_or_doubled(
    stack: ComposeProject, client: HubClient
):
    hub = new_hub_code("skala")
    await client.open_hub(hub, SKU)
    producer = await client.register_producer(
        hub, name="Ibu Sri Skala", phone="081200000001", regency="Kapuas"
    )
    placed: list[dict] = []
    delivered: list[dict] = []
    scaled = asyncio.Event()

    async def orders_flow() -> None:
        after = 0
        while after < ORDERS_AFTER_SCALING:
            index = len(placed)
            key = f"{hub}-{index}"
            placed.append(
                await client.place_order(hub, SKU, ORDER_UNITS, BUYER, idempotency_key=key)
            )
            if index % ORDERS_PER_DELIVERY == ORDERS_PER_DELIVERY - 1:
                delivered.append(
                    await client.record_delivery(hub, producer["id"], SKU, DELIVERY_UNITS, 0)
                )
            after += scaled.is_set()
            await asyncio.sleep(PACE)

    flowing = asyncio.create_task(orders_flow())
    await asyncio.to_thread(stack.compose, "up", "-d", "--no-recreate", "--scale", "allocator=3")
    replicas = [c for c in stack.containers() if c.service == "allocator"]
    assert len(replicas) == 3 and {c.state for c in replicas} == {"running"}
    await stack.wait_ready(120)
    scaled.set()
    await flowing

    supplied = DELIVERY_UNITS * len(delivered)
    assert supplied < ORDER_UNITS * len(placed)

    async def all_given() -> int | None:
        stock = await client.stock(hub, SKU)
        return stock["allocated"] if stock["allocated"] == supplied else None

    await wait_until(all_given, what=f"{supplied} units given at {hub}", timeout=60)
    assert await units_given_once(stack.database_url, hub) == supplied
    conn = await asyncpg.connect(stack.database_url, server_settings={"search_path": "allocator"})
    try:

        async def orders_agree() -> list | None:
            rows = await conn.fetch(COUNTS, hub)
            agree = all(row["orders_view"] == row["allocator_view"] for row in rows)
            return rows if agree else None

        rows = await wait_until(orders_agree, what="the orders' counts to agree")
        await orders_get_what_they_asked(conn)
    finally:
        await conn.close()
    assert sorted(str(row["id"]) for row in rows) == sorted(order["id"] for order in placed)
    assert {row["queued"] for row in rows} == {1}, "each order reached the allocator once"
    assert sum(row["orders_view"] for row in rows) == supplied
    FIGURES["orders placed while scaling to three allocators"] = str(len(placed))

    await prometheus_scrapes(stack, job="allocator", targets=3)


async def prometheus_scrapes(stack: ComposeProject, *, job: str, targets: int) -> None:
    api = stack.published_url("PROMETHEUS_PORT") + "/api/v1/targets?state=active"

    async def all_up() -> list | None:
        async with aiohttp.ClientSession() as http, http.get(api) as answer:
            active = (await answer.json())["data"]["activeTargets"]
        mine = [t for t in active if t["labels"]["job"] == job and t["health"] == "up"]
        return mine if len(mine) == targets else None

    # Docker's DNS is asked every 5 s, and each new target scraped within 15 s after.
    await wait_until(all_up, what=f"Prometheus scraping {targets} {job} targets", timeout=90)
