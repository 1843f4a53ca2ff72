"""The example partner (examples/partner_client.py) against the running stack: a retried order
with the same Idempotency-Key is placed once, and its receiver takes the hub's signed callbacks."""

import uuid

import aiohttp
import asyncpg
from aiohttp import web

from examples.partner_client import callback_app, place_order
from tests.support.stack import free_port
from tests.support.stack_env import PARTNER_HOST
from tools.client import HubClient, wait_until

SKU = "masker-kain"


async def test_the_example_partner_orders_once_and_hears_its_callback(
    client: HubClient, hub: str, database: asyncpg.Connection
):
    port = free_port(PARTNER_HOST)
    url = f"http://{PARTNER_HOST}:{port}/plut/callbacks"
    issued = await client.create_partner("Mitra Contoh", [hub], callback_url=url)
    heard: list[dict] = []

    async def on_callback(callback: dict) -> None:
        heard.append(callback)

    runner = web.AppRunner(callback_app(issued["callback_secret"], on_callback))
    await runner.setup()
    await web.TCPSite(runner, PARTNER_HOST, port).start()
    order = {
        "hub": hub,
        "sku": SKU,
        "quantity": 4,
        "buyer": {"name": "Koperasi Contoh", "type": "business", "region": "Sampit"},
    }
    try:
        async with aiohttp.ClientSession() as session:
            placed = [
                await place_order(
                    session, client.urls["orders"], issued["api_key"], order, idempotency_key="po-1"
                )
                for _ in range(2)  # as if the first answer had been lost
            ]
        producer = await client.register_producer(
            hub, name="Ibu Siti", phone="081234567890", regency="Kapuas"
        )
        await client.record_delivery(hub, producer["id"], SKU, 4)
        [callback] = await wait_until(lambda: _some(heard), what="the example heard a callback")
    finally:
        await runner.cleanup()

    assert placed[0] == placed[1]
    count = "SELECT count(*) FROM orders.orders WHERE hub = $1"
    assert await database.fetchval(count, hub) == 1
    assert (callback["order"]["id"], callback["order"]["status"]) == (placed[0]["id"], "allocated")
    # Recorded once the receiver's 204 is back at the hub.
    delivered = "SELECT last_status FROM orders.callbacks WHERE id = $1 AND state = 'delivered'"
    callback_id = uuid.UUID(callback["id"])
    status = await wait_until(lambda: database.fetchval(delivered, callback_id), what="delivered")
    assert status == 204


async def _some(items: list) -> list:
    return items
