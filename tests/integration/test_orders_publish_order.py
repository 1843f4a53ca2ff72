"""Issue 22: per product, order.placed events reach the bus in queue order (placed_at, then
sequence), however many POSTs place the product's orders at once, in however many transactions
and processes: placing takes the product's lock (services/orders/store/products.py), and the
relays take turns (shared/outbox.py)."""

import asyncio
import uuid
from datetime import datetime
from pathlib import Path

import asyncpg

from tests.support.bus import EventTap
from tests.support.replicas import own_replica
from tests.support.stack import Stack
from tools.client import HubClient, wait_until

BUYER = {"name": "Dinas Kesehatan Kapuas", "type": "agency", "region": "Kuala Kapuas"}
SKUS = ("masker-kain", "masker-n95", "masker-anak")
CLIENTS = 48
EACH = 5


async def post(client: HubClient, url: str, body: dict, key: str | None) -> None:
    async with client.session.post(
        f"{url}/v1/orders", json=body, headers=client.to_orders(key)
    ) as response:
        assert response.status == 201, await response.text()


async def one_client(client: HubClient, urls: list[str], hub: str, number: int) -> None:
    """A client's orders one after another, each of the next product, to each process in turn;
    every third without an Idempotency-Key (the operator may), so batches mix the two."""
    for n in range(EACH):
        body = {"hub": hub, "sku": SKUS[(number + n) % len(SKUS)], "quantity": 1, "buyer": BUYER}
        key = None if (number + n) % 3 == 0 else str(uuid.uuid4())
        await post(client, urls[(number + n) % len(urls)], body, key)


def queue_key(payload: dict) -> tuple[datetime, int]:
    return datetime.fromisoformat(str(payload["placed_at"])), payload["sequence"]


async def test_each_products_orders_are_published_in_queue_order(
    client: HubClient,
    hub: str,
    tap: EventTap,
    stack: Stack,
    database: asyncpg.Connection,
    tmp_path: Path,
):
    for sku in SKUS[1:]:
        await client.list_product(hub, sku, f"Masker {sku}", 5000)
    await wait_until(
        lambda: database.fetchval(
            "SELECT count(*) = $2 FROM orders.catalog WHERE hub = $1", hub, len(SKUS)
        ),
        what="the products at orders",
    )

    async with own_replica(stack, "orders", tmp_path, {}) as second:
        urls = [client.urls["orders"], second.url]
        await asyncio.gather(*(one_client(client, urls, hub, n) for n in range(CLIENTS)))

        def placed() -> list[dict]:
            return [e.payload for e in tap.of_hub(hub) if e.type == "order.placed"]

        await wait_until(
            lambda: asyncio.sleep(0, len(placed()) >= CLIENTS * EACH), what="every order.placed"
        )

    published = placed()
    assert len({payload["order_id"] for payload in published}) == CLIENTS * EACH
    for sku in SKUS:
        arrived = [queue_key(payload) for payload in published if payload["sku"] == sku]
        assert arrived == sorted(arrived), f"{sku}: order.placed out of queue order"
    # And the queue order is the sequence's: no order of a product drew its time after a later one.
    out_of_step = await database.fetchval(
        """
        SELECT count(*) FROM (
            SELECT placed_at < lag(placed_at) OVER w AS earlier
            FROM orders.orders WHERE hub = $1
            WINDOW w AS (PARTITION BY sku ORDER BY sequence)
        ) AS o WHERE earlier
        """,
        hub,
    )
    assert out_of_step == 0
