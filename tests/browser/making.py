"""Data for the browser tests, made through the services' APIs (a page is not the subject)."""

import uuid

from tools.client import HubClient, wait_until

SKU = "masker-kain"
UNIT_PRICE = 5000  # what `client.open_hub` lists the product at


def phone() -> str:
    """A mobile number no other test uses (Indonesian, as intake checks)."""
    return "0812" + str(uuid.uuid4().int)[:8]


async def producer(client: HubClient, hub: str, name: str) -> dict:
    return await client.register_producer(hub, name=name, phone=phone(), regency="Kapuas")


async def waiting_order(client: HubClient, hub: str, buyer: str, quantity: int) -> dict:
    """An order placed and already in the allocator's queue, so a delivery goes to it."""
    placed = await client.place_order(
        hub, SKU, quantity, {"name": buyer, "type": "agency", "region": "Kuala Kapuas"}
    )

    async def queued() -> bool:
        rows = (await client.queue(hub, SKU))["orders"]
        return any(row["order_id"] == placed["id"] for row in rows)

    await wait_until(queued, what=f"order {placed['id']} in the queue")
    return placed


async def status_becomes(client: HubClient, order_id: str, status: str) -> dict:
    async def reached() -> dict | None:
        order = await client.order(order_id)
        return order if order["status"] == status else None

    return await wait_until(reached, what=f"order {order_id} {status}")


async def producers_of(client: HubClient, hub: str) -> dict:
    """intake's list of the hub's producers (an operator's call)."""
    return await client.call(
        "intake", "GET", f"/v1/producers?hub={hub}", headers=client.as_operator()
    )
