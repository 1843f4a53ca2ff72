"""Units a free-mask programme pays for, through the running services: the allocator names the
programme on every order.allocated of the programme's order (from its order.placed v5), and
intake pays the producer for them at the programme's price, marked as programme sales; an
ordinary order, and one announced before programmes (order.placed v4), are paid as before."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from aio_pika.abc import AbstractRobustConnection

from shared.events import Envelope, ProgrammeShare
from shared.operators import Role
from shared.topology import QUEUES
from tests.support.bus import EventTap, dead_letters, publish_event, publish_raw
from tests.support.events import (
    SKU,
    allocation_of,
    cancelled,
    order_id,
    placed,
    placed_v4,
)
from tools.client import HubClient, wait_until

PRICE = 5000  # the product's, as open_hub lists it
WIB = ZoneInfo("Asia/Jakarta")  # intake's default zone for a hub


async def allocation_to(tap: EventTap, order: Envelope) -> Envelope:
    return await tap.wait_for(
        lambda e: e.type == "order.allocated" and e.payload["order_id"] == order_id(order),
        what=f"the allocation to {order_id(order)}",
        timeout=60,
    )


async def payouts_when(client: HubClient, hub: str, settled) -> dict:
    """The hub's payouts around today, once `settled(payouts)` holds."""
    today = datetime.now(UTC).astimezone(WIB).date()
    span = f"from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"

    async def answer() -> dict | None:
        payouts = await client.call(
            "intake", "GET", f"/v1/payouts?hub={hub}&{span}", headers=client.as_operator()
        )
        return payouts if settled(payouts) else None

    return await wait_until(answer, what="the payouts as expected")


def units_by_kind(payouts: dict) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for row in payouts["rows"]:
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + row["units_sold"]
    return kinds


async def test_a_programmes_units_are_paid_to_their_producer_at_its_price_marked_programme(
    client: HubClient, hub: str, amqp: AbstractRobustConnection, tap: EventTap, console_as
):
    producer = await client.register_producer(
        hub, name="Ibu Sari", phone="081234567892", regency="Kapuas"
    )
    share = ProgrammeShare(programme_id=uuid.uuid4(), unit_price=4500)
    free = placed(hub, 4, priority_class="program", programme=share)
    ordinary, old = placed(hub, 3, minutes=1), placed_v4(hub, 2, minutes=2)
    for order in (free, ordinary, old):
        await publish_event(amqp, order)
    await wait_until(
        lambda: _waiting(client, hub, 3), what="the three orders in the queue", timeout=60
    )
    await client.record_delivery(hub, producer["id"], SKU, 9)

    given = await allocation_to(tap, free)
    assert given.version == 3
    assert given.payload["programme"] == {
        "programme_id": str(share.programme_id),
        "unit_price": 4500,
    }
    assert given.payload["quantity"] == 4
    assert given.payload["lots"][0]["producer_id"] == producer["id"]
    for unpaid in (ordinary, old):
        assert (await allocation_to(tap, unpaid)).payload["programme"] is None

    payouts = await payouts_when(
        client, hub, lambda p: units_by_kind(p) == {"sale": 5, "programme": 4}
    )
    [sale] = [row for row in payouts["rows"] if row["kind"] == "sale"]
    [paid] = [row for row in payouts["rows"] if row["kind"] == "programme"]
    assert (sale["programme_id"], sale["unit_price"], sale["earnings"]) == (None, PRICE, 5 * PRICE)
    assert (paid["programme_id"], paid["unit_price"], paid["earnings"]) == (
        str(share.programme_id),
        4500,
        4 * 4500,
    )
    assert paid["name"] == "Ibu Sari" and paid["sku"] == SKU
    assert payouts["totals"] == [
        {
            "producer_id": producer["id"],
            "name": "Ibu Sari",
            "units_sold": 9,
            "earnings": 5 * PRICE + 4 * 4500,
            "programme_units_sold": 4,
            "programme_earnings": 4 * 4500,
        }
    ]
    days = await client.call(
        "intake", "GET", f"/v1/producers/{producer['id']}/days", headers=client.as_operator()
    )
    assert sorted((d["kind"], d["units_sold"], d["unit_price"]) for d in days["days"]) == [
        ("programme", 4, 4500),
        ("sale", 5, PRICE),
    ]
    # The console's page of the producer marks the programme's day and totals it apart.
    page = await (await console_as(Role.viewer)).page(f"/produsen/{producer['id']}")
    assert page.count("· Program<") == 1 and "dari program" in page
    assert "Rp18.000" in page  # 4 units at Rp4.500

    # The programme's order cancelled while its units were held: they are no longer its sale.
    await publish_event(amqp, cancelled(free))
    payouts = await payouts_when(client, hub, lambda p: units_by_kind(p) == {"sale": 5})
    assert payouts["totals"][0]["programme_earnings"] == 0
    assert payouts["totals"][0]["earnings"] == 5 * PRICE


async def _waiting(client: HubClient, hub: str, orders: int) -> bool:
    return (await client.queue(hub, SKU))["waiting"] == orders


async def test_units_a_programmes_order_gets_again_after_an_expiry_are_still_the_programmes(
    client: HubClient, hub: str, amqp: AbstractRobustConnection, tap: EventTap
):
    await client.set_policy(hub, SKU, hold_seconds=1)
    producer = await client.register_producer(
        hub, name="Pak Budi", phone="081234567893", regency="Katingan"
    )
    share = ProgrammeShare(programme_id=uuid.uuid4(), unit_price=3000)
    free = placed(hub, 6, priority_class="program", programme=share)
    await publish_event(amqp, free)
    await wait_until(lambda: _waiting(client, hub, 1), what="the order in the queue", timeout=60)
    await client.record_delivery(hub, producer["id"], SKU, 4)
    await tap.wait_for(
        lambda e: e.type == "order.expired" and e.payload["order_id"] == order_id(free),
        what="the uncollected units expired",
        timeout=60,
    )

    await client.record_delivery(hub, producer["id"], SKU, 2)

    again = await tap.wait_for(
        lambda e: (
            e.type == "order.allocated"
            and e.payload["order_id"] == order_id(free)
            and e.payload["allocated_total"] == 2
        ),
        what="the two units still owed given",
        timeout=60,
    )
    assert again.payload["programme"] == {
        "programme_id": str(share.programme_id),
        "unit_price": 3000,
    }
    payouts = await payouts_when(
        client, hub, lambda p: bool(p["totals"]) and p["totals"][0]["units_sold"] == 2
    )
    assert units_by_kind(payouts) == {"programme": 2}
    assert payouts["totals"][0]["programme_earnings"] == 2 * 3000


def forged(event: Envelope, programme: object, message_id: str) -> tuple[bytes, str, str]:
    """The event with `programme` put in its payload as is: what a broken or hostile
    publisher might send."""
    body = json.loads(event.model_dump_json())
    body["payload"]["programme"] = programme
    return json.dumps(body).encode(), event.type, message_id


async def test_a_programme_that_does_not_hold_is_dead_lettered_and_changes_nothing(
    client: HubClient, hub: str, amqp: AbstractRobustConnection
):
    """A negative price, a made-up field, an id that is no uuid: refused by every consumer of
    order.placed (the allocator) and of order.allocated (intake), each parked with the reason;
    the consumers go on."""
    programme_id = str(uuid.uuid4())
    bad = {
        "negative": {"programme_id": programme_id, "unit_price": -1},
        "extra": {"programme_id": programme_id, "unit_price": 1, "paid_by": "x"},
        "not-uuid": {"programme_id": "'; DROP TABLE queue; --", "unit_price": 1},
    }
    for name, programme in bad.items():
        order = placed(hub, 1, priority_class="program")
        await publish_raw(amqp, *forged(order, programme, f"placed-{name}-{hub}"))
        given = allocation_of(order, 1, uuid.uuid4())
        await publish_raw(amqp, *forged(given, programme, f"allocated-{name}-{hub}"))

    good = placed(hub, 1)
    await publish_event(amqp, good)
    await wait_until(lambda: _waiting(client, hub, 1), what="the good order queued", timeout=60)

    # Every consumer of each event parks it (and the test leaves no dead letter behind).
    for service, consumer in QUEUES.items():
        kinds = [
            kind for kind in ("placed", "allocated") if f"order.{kind}" in consumer.routing_keys
        ]
        if not kinds:
            continue
        reasons: dict[str, str] = {}

        async def parked(service=service, kinds=kinds, reasons=reasons) -> bool:
            for message in await dead_letters(amqp, service):
                reasons[message.message_id] = message.headers["x-error"]
            return all(f"{kind}-{name}-{hub}" in reasons for kind in kinds for name in bad)

        await wait_until(parked, what=f"{service}'s dead letters")
        for kind in kinds:
            assert "unit_price" in reasons[f"{kind}-negative-{hub}"], service
            assert "paid_by" in reasons[f"{kind}-extra-{hub}"], service
            assert "programme_id" in reasons[f"{kind}-not-uuid-{hub}"], service
    queue = await client.queue(hub, SKU)
    assert [o["order_id"] for o in queue["orders"]] == [order_id(good)]
