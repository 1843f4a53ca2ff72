"""Status callbacks to partners, through the running stack: every status change of a partner's
order reaches its endpoint signed; a failing, hanging or dead endpoint is retried on its own
schedule without holding up anyone else.

Time is shrunk by the stack's settings (tests/conftest.py): an hour's cap is half a second,
giving up after a day is five seconds.
"""

import asyncio
import uuid
from pathlib import Path

import asyncpg

from services.orders.callbacks.post import COULD_NOT_CONNECT
from tests.support.partner_endpoint import CallbackPartner
from tests.support.stack import Stack
from tools.client import HubClient, wait_until

SKU = "masker-kain"
BUYER = {"name": "Koperasi Maju", "type": "business", "region": "Sampit", "reference": "po-77"}


async def deliver(client: HubClient, hub: str, quantity: int) -> None:
    producer = await client.register_producer(
        hub, name="Ibu Siti", phone="081234567890", regency="Kapuas"
    )
    await client.record_delivery(hub, producer["id"], SKU, quantity)


async def order(partner: CallbackPartner, hub: str, quantity: int) -> dict:
    return await partner.client.place_order(hub, SKU, quantity, BUYER)


async def record(database: asyncpg.Connection, callback_id: str) -> asyncpg.Record:
    return await database.fetchrow(
        "SELECT * FROM orders.callbacks WHERE id = $1", uuid.UUID(callback_id)
    )


async def settled(database: asyncpg.Connection, callback_id: str) -> asyncpg.Record:
    """The callback's row once its last post's answer is recorded: the partner has the post
    before the orders service writes down what it answered."""

    async def answered() -> asyncpg.Record | None:
        stored = await record(database, callback_id)
        return stored if stored["state"] != "pending" else None

    return await wait_until(answered, what=f"callback {callback_id} settled")


async def test_each_status_change_of_a_partners_order_is_posted_signed(
    client: HubClient, hub: str, database: asyncpg.Connection, partners_called_back
):
    bank = await partners_called_back()
    whole, part = await order(bank, hub, 10), await order(bank, hub, 10)
    operators = await client.place_order(hub, SKU, 5, BUYER)

    await deliver(client, hub, 15)
    [allocated] = await bank.endpoint.wait_for(1, whole["id"])
    [partially] = await bank.endpoint.wait_for(1, part["id"])
    await client.fulfil(whole["id"])
    await bank.client.cancel(part["id"])
    fulfilled = (await bank.endpoint.wait_for(2, whole["id"]))[1]
    cancelled = (await bank.endpoint.wait_for(2, part["id"]))[1]

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
    assert await _callbacks_of(database, operators["id"]) == 0
    assert all(arrival.answered == 204 for arrival in bank.endpoint.arrivals)
    stored = await settled(database, allocated["id"])
    assert (stored["state"], stored["attempts"], stored["last_status"]) == ("delivered", 1, 204)


async def test_a_partner_without_a_callback_url_is_not_called(
    client: HubClient, hub: str, database: asyncpg.Connection, partner_client: HubClient
):
    placed = await partner_client.place_order(hub, SKU, 5, BUYER)

    await deliver(client, hub, 5)
    await wait_until(lambda: _status_is(client, placed["id"], "allocated"), what="allocated")

    assert await _callbacks_of(database, placed["id"]) == 0


async def test_units_not_collected_in_time_expire_and_the_partner_hears(
    client: HubClient, hub: str, partners_called_back
):
    bank = await partners_called_back()
    await client.set_policy(hub, SKU, hold_seconds=1)
    placed = await order(bank, hub, 5)

    await deliver(client, hub, 5)
    heard = await bank.endpoint.wait_for(2, placed["id"])

    assert [callback["order"]["status"] for callback in heard] == ["allocated", "expired"]
    assert (heard[1]["order"]["expired"], heard[1]["order"]["allocated"]) == (5, 0)
    assert heard[0]["created_at"] < heard[1]["created_at"]


async def test_an_endpoint_down_for_an_hour_gets_its_callback_once_it_recovers(
    client: HubClient, hub: str, database: asyncpg.Connection, partners_called_back
):
    """Each partner's endpoint on its own: one down for "hours" and one that never answers
    hold up nobody; the one that was down hears within the cap of its recovery, once."""
    down, healthy, hanging = [await partners_called_back() for _ in range(3)]
    hanging.endpoint.hanging = True
    down.endpoint.failing = True
    down_order = await order(down, hub, 1)
    await order(healthy, hub, 1)
    first_hanging = [await order(hanging, hub, 1) for _ in range(8)][0]

    await deliver(client, hub, 10)

    async def hanging_at_its_cap() -> bool:
        return hanging.endpoint.in_flight == 4

    await wait_until(hanging_at_its_cap, what="four posts hanging at the hanging partner")
    await healthy.endpoint.wait_for(1)
    # No hanging post has timed out yet (10 s): the healthy partner was not kept waiting for one.
    hanging_tried = (
        "SELECT count(*) FROM orders.callbacks WHERE partner_id = $1"
        " AND (last_status IS NOT NULL OR last_error IS NOT NULL)"
    )
    assert await database.fetchval(hanging_tried, uuid.UUID(hanging.id)) == 0
    assert hanging.endpoint.most_in_flight <= 4, "a partner's cap holds however slow it is"

    # Down for "hours" of the shrunk clock: tried past the doubling, each wait within the cap.
    tried = "SELECT * FROM orders.callbacks WHERE order_id = $1 AND attempts >= 5"
    at_the_cap = await wait_until(
        lambda: database.fetchrow(tried, uuid.UUID(down_order["id"])),
        what="the down partner's callback tried five times",
    )
    cap_ahead = "SELECT $1::timestamptz <= clock_timestamp() + interval '0.5 seconds'"
    assert await database.fetchval(cap_ahead, at_the_cap["next_attempt_at"])
    down.endpoint.failing = False
    [arrived] = await down.endpoint.wait_for(1)

    arrivals = down.endpoint.arrivals
    assert [arrival.answered for arrival in arrivals] == [503] * (len(arrivals) - 1) + [204]
    stored = await settled(database, arrived["id"])
    assert stored["state"] == "delivered" and stored["attempts"] == len(arrivals)
    timed_out = "SELECT last_error FROM orders.callbacks WHERE order_id = $1 AND attempts > 0"
    hanging_id = uuid.UUID(first_hanging["id"])
    await wait_until(
        lambda: database.fetchval(timed_out, hanging_id), what="a timed-out attempt recorded"
    )
    assert await database.fetchval(timed_out, hanging_id) == COULD_NOT_CONNECT
    # Delivered is final in the hub's books (above); and by the time the hanging partner's post
    # timed out, seconds later, no second post of it had come.
    assert len(down.endpoint.accepted()) == 1, "exactly once"


async def test_two_replicas_post_each_callback_once_within_the_partners_cap(
    client: HubClient, hub: str, partners_called_back, stack: Stack, tmp_path: Path
):
    """Three partners need 12 posts in flight; a replica may have 8 (tests/conftest.py)."""
    hanging, first, second = [await partners_called_back() for _ in range(3)]
    hanging.endpoint.hanging = True
    # Slow enough answers that the work outlasts a busy machine's wake-up of either replica: at
    # 50 ms one replica could post all 30 before the other's first claim.
    first.endpoint.answer_after = second.endpoint.answer_after = 0.3
    for partner, count in ((hanging, 10), (first, 15), (second, 15)):
        for _ in range(count):
            await order(partner, hub, 1)
    replica = stack.replica("orders", tmp_path / "orders-2.log")
    replica.start()
    try:
        await replica.wait_ready()
        await deliver(client, hub, 40)
        delivered = await first.endpoint.wait_for(15) + await second.endpoint.wait_for(15)

        async def hanging_tried_again() -> bool:
            return hanging.endpoint.posts > 4  # its first four timed out, the next were posted

        await wait_until(hanging_tried_again, what="the hanging partner's posts tried again")
    finally:
        await asyncio.to_thread(replica.stop)

    assert len({callback["id"] for callback in delivered}) == 30
    assert len(first.endpoint.arrivals) == len(second.endpoint.arrivals) == 15, "each once"
    assert max(p.endpoint.most_in_flight for p in (hanging, first, second)) <= 4
    posted_by = [
        sum(
            '"callback delivered"' in line and (first.id in line or second.id in line)
            for line in process.log_path.read_text().splitlines()
        )
        for process in (stack["orders"], replica)
    ]
    assert all(posted_by) and sum(posted_by) == 30, f"both replicas took part: {posted_by}"


async def _status_is(client: HubClient, order_id: str, status: str) -> bool:
    return (await client.order(order_id))["status"] == status


async def _callbacks_of(database: asyncpg.Connection, order_id: str) -> int:
    query = "SELECT count(*) FROM orders.callbacks WHERE order_id = $1"
    return await database.fetchval(query, uuid.UUID(order_id))
