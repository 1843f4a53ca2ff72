"""Status callbacks to partners, through the running stack: every status change of a partner's
order reaches its endpoint signed; a failing, hanging or dead endpoint is retried on its own
schedule without holding up anyone else.

Time is shrunk by the stack's settings (tests/conftest.py): an hour's cap is half a second,
giving up after a day is five seconds.
"""

import asyncio
import secrets
import time
import uuid
from pathlib import Path

import asyncpg
import pytest

from tests.support.partner_endpoint import PartnerEndpoint
from tools.client import HubClient, wait_until
from tools.stack import Stack

SKU = "masker-kain"
BUYER = {"name": "Koperasi Maju", "type": "business", "region": "Sampit", "reference": "po-77"}


@pytest.fixture
async def endpoints():
    """Makes partners' callback endpoints; stops them after the test."""
    made: list[PartnerEndpoint] = []

    async def make() -> PartnerEndpoint:
        endpoint = await PartnerEndpoint().start()
        made.append(endpoint)
        return endpoint

    yield make
    for endpoint in made:
        await endpoint.stop()


async def new_partner(database: asyncpg.Connection, endpoint: PartnerEndpoint, hub: str) -> str:
    partner_id = uuid.uuid4()
    endpoint.secret = secrets.token_hex(16)
    await database.execute(
        "INSERT INTO orders.partners (id, name, hubs, scopes, callback_url, callback_secret,"
        " requests_per_minute) VALUES ($1, 'Bank Contoh', $2, $3, $4, $5, 600)",
        partner_id,
        [hub],
        ["orders:read", "orders:write"],
        endpoint.url,
        endpoint.secret,
    )
    return str(partner_id)


async def partner_order(
    client: HubClient, database: asyncpg.Connection, partner_id: str, hub: str, quantity: int
) -> dict:
    placed = await client.place_order(hub, SKU, quantity, BUYER)
    await database.execute(
        "UPDATE orders.orders SET partner_id = $2 WHERE id = $1",
        uuid.UUID(placed["id"]),
        uuid.UUID(partner_id),
    )
    return placed


async def deliver(client: HubClient, hub: str, quantity: int) -> None:
    producer = await client.register_producer(
        hub, name="Ibu Siti", phone="081234567890", regency="Kapuas"
    )
    await client.record_delivery(hub, producer["id"], SKU, quantity)


async def record(database: asyncpg.Connection, callback_id: str) -> asyncpg.Record:
    return await database.fetchrow(
        "SELECT * FROM orders.callbacks WHERE id = $1", uuid.UUID(callback_id)
    )


async def test_each_status_change_of_a_partners_order_is_posted_signed(
    client: HubClient, hub: str, database: asyncpg.Connection, endpoints
):
    endpoint = await endpoints()
    partner = await new_partner(database, endpoint, hub)
    whole = await partner_order(client, database, partner, hub, 10)
    part = await partner_order(client, database, partner, hub, 10)
    operators = await client.place_order(hub, SKU, 5, BUYER)

    await deliver(client, hub, 15)
    [allocated] = await endpoint.wait_for(1, whole["id"])
    [partially] = await endpoint.wait_for(1, part["id"])
    await client.fulfil(whole["id"])
    await client.cancel(part["id"])
    fulfilled = (await endpoint.wait_for(2, whole["id"]))[1]
    cancelled = (await endpoint.wait_for(2, part["id"]))[1]

    assert allocated["type"] == "order.status_changed"
    assert (allocated["previous_status"], allocated["order"]["status"]) == ("queued", "allocated")
    assert allocated["order"]["allocated"] == 10 and allocated["order"]["waiting"] == 0
    assert allocated["order"]["hold_until"] is not None
    assert allocated["order"]["buyer_reference"] == "po-77"
    assert partially["order"]["status"] == "partially_allocated"
    assert (partially["order"]["allocated"], partially["order"]["waiting"]) == (5, 5)
    assert (fulfilled["previous_status"], fulfilled["order"]["status"]) == (
        "allocated",
        "fulfilled",
    )
    assert fulfilled["order"]["fulfilled"] == 10
    assert cancelled["order"]["status"] == "cancelled"
    assert cancelled["order"]["cancelled_at"] is not None
    # The cancelled units went on to the operator's own order, which has no partner to tell.
    await wait_until(
        lambda: _status_is(client, operators["id"], "allocated"), what="operator's order served"
    )
    callbacks_of = "SELECT count(*) FROM orders.callbacks WHERE order_id = $1"
    assert await database.fetchval(callbacks_of, uuid.UUID(operators["id"])) == 0
    assert all(arrival.answered == 204 for arrival in endpoint.arrivals)
    stored = await record(database, allocated["id"])
    assert (stored["state"], stored["attempts"], stored["last_status"]) == ("delivered", 1, 204)


async def test_units_not_collected_in_time_expire_and_the_partner_hears(
    client: HubClient, hub: str, database: asyncpg.Connection, endpoints
):
    endpoint = await endpoints()
    partner = await new_partner(database, endpoint, hub)
    await client.set_policy(hub, SKU, hold_seconds=1)
    order = await partner_order(client, database, partner, hub, 5)

    await deliver(client, hub, 5)
    heard = await endpoint.wait_for(2, order["id"])

    assert [callback["order"]["status"] for callback in heard] == ["allocated", "expired"]
    assert (heard[1]["order"]["expired"], heard[1]["order"]["allocated"]) == (5, 0)
    assert heard[0]["created_at"] < heard[1]["created_at"]


async def test_an_endpoint_down_for_an_hour_gets_its_callback_once_it_recovers(
    client: HubClient, hub: str, database: asyncpg.Connection, endpoints
):
    down, healthy, hanging = await endpoints(), await endpoints(), await endpoints()
    hanging.hanging = True
    down.fail_for(2.0)  # four "hours" of the shrunk clock
    orders = {}
    for endpoint, count in ((down, 1), (healthy, 1), (hanging, 8)):
        partner = await new_partner(database, endpoint, hub)
        orders[id(endpoint)] = [
            await partner_order(client, database, partner, hub, 1) for _ in range(count)
        ]

    started = time.monotonic()
    await deliver(client, hub, 10)
    await healthy.wait_for(1)
    healthy_after = time.monotonic() - started
    [arrived] = await down.wait_for(1, timeout=10)

    assert healthy_after < 1.5, "the down and the hanging partner held up nobody"
    recovered_after = down.arrivals[-1].at - down.failing_until
    assert 0 <= recovered_after < 0.5 + 0.3, "within the cap (plus a poll) of recovery"
    assert len(down.arrivals) > 1 and [a.answered for a in down.arrivals][-1] == 204
    stored = await record(database, arrived["id"])
    assert stored["state"] == "delivered" and stored["attempts"] == len(down.arrivals)
    await asyncio.sleep(0.6)  # a second delivery would have come by now
    assert len(down.accepted()) == 1, "exactly once"
    assert hanging.most_in_flight <= 4, "a partner's cap holds however slow it is"
    timed_out = "SELECT last_error FROM orders.callbacks WHERE order_id = $1 AND attempts > 0"
    first_hanging = uuid.UUID(orders[id(hanging)][0]["id"])
    await wait_until(
        lambda: database.fetchval(timed_out, first_hanging), what="a timed-out attempt recorded"
    )
    assert await database.fetchval(timed_out, first_hanging) == "timed out"


async def _status_is(client: HubClient, order_id: str, status: str) -> bool:
    return (await client.order(order_id))["status"] == status


async def test_two_replicas_post_each_callback_once_within_the_partners_cap(
    client: HubClient,
    hub: str,
    database: asyncpg.Connection,
    endpoints,
    stack: Stack,
    tmp_path: Path,
):
    """Three partners need 12 posts in flight; a replica may have 8 (tests/conftest.py)."""
    first, second, hanging = await endpoints(), await endpoints(), await endpoints()
    first.answer_after = second.answer_after = 0.05
    hanging.hanging = True
    busy = []
    for endpoint, count in ((hanging, 10), (first, 15), (second, 15)):
        partner = await new_partner(database, endpoint, hub)
        busy.append(partner)
        for _ in range(count):
            await partner_order(client, database, partner, hub, 1)
    replica = stack.replica("orders", tmp_path / "orders-2.log")
    replica.start()
    try:
        await replica.wait_ready()
        await deliver(client, hub, 40)
        delivered = await first.wait_for(15) + await second.wait_for(15)
        await asyncio.sleep(1.5)  # the hanging partner's posts time out and are tried again
    finally:
        replica.stop()

    assert len({callback["id"] for callback in delivered}) == 30
    assert len(first.arrivals) == len(second.arrivals) == 15, "each posted once, by either"
    assert max(e.most_in_flight for e in (first, second, hanging)) <= 4
    posted_by = [
        sum(
            '"callback delivered"' in line and any(partner in line for partner in busy)
            for line in process.log_path.read_text().splitlines()
        )
        for process in (stack["orders"], replica)
    ]
    assert all(posted_by) and sum(posted_by) == 30, f"both replicas took part: {posted_by}"
