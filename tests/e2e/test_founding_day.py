"""The founding day, end to end over HTTP, with the four services as separate processes."""

import asyncio

import asyncpg

from services.allocator.domain import Policy
from shared.events import CLASS_OF_BUYER_TYPE
from tests.support.mailbox import Mailbox
from tools.client import HubClient, new_hub_code, wait_until
from tools.founding_day import (
    SKU,
    Outcome,
    Scenario,
    founding_day,
    in_queue_order,
    play,
)
from tools.sandbox import Sandbox


def class_of(order: dict) -> str:
    return CLASS_OF_BUYER_TYPE[order["buyer"]["type"]]


async def test_founding_day(client: HubClient, box: Sandbox, mailbox: Mailbox) -> None:
    scenario = founding_day()
    outcome = await play(client, new_hub_code("kalteng"), scenario)

    assert await client.stock(outcome.hub, SKU) == {
        "hub": outcome.hub,
        "sku": SKU,
        "received": scenario.accepted_total,
        "allocated": scenario.accepted_total,
        "available": 0,
    }
    orders = sorted(outcome.orders, key=lambda order: order["placed_at"])
    assert orders == outcome.orders, "buyers were queued in the order they placed their orders"
    expected = in_queue_order(scenario)
    assert [o["allocated"] for o in orders] == expected
    served = sum(1 for given in expected if given)
    classes = [share.name for share in Policy().classes]
    queue = sorted(orders, key=lambda order: classes.index(class_of(order)))
    assert {class_of(order) for order in queue} == {"agency", "public"}
    statuses = [o["status"] for o in queue]
    assert 1 < served < len(orders), "the day serves some buyers and leaves others waiting"
    assert set(statuses[: served - 1]) == {"allocated"}, "earlier orders are served in full"
    assert statuses[served - 1] in {"allocated", "partially_allocated"}, "then one, maybe short"
    assert set(statuses[served:]) == {"queued"}, "the rest wait, with nothing yet"

    await assert_lots_never_overgiven(client, box, outcome, scenario)
    await assert_everyone_told(client, mailbox, outcome, scenario)


async def assert_lots_never_overgiven(
    client: HubClient, box: Sandbox, outcome: Outcome, scenario: Scenario
) -> None:
    """Per lot, the units given never exceed what it accepted, and every unit names its lot."""
    conn = await asyncpg.connect(box.database_url)
    try:
        rows = await conn.fetch(
            """
            SELECT l.delivery_id, l.producer_id, l.accepted, coalesce(sum(a.quantity), 0) AS given
            FROM allocator.lots l LEFT JOIN allocator.allocations a
                 ON a.delivery_id = l.delivery_id AND a.state IN ('held', 'fulfilled')
            WHERE l.hub = $1
            GROUP BY l.delivery_id
            """,
            outcome.hub,
        )
    finally:
        await conn.close()
    assert len(rows) == len(scenario.producers)
    assert all(row["given"] <= row["accepted"] for row in rows)
    assert sum(row["given"] for row in rows) == scenario.accepted_total
    # Intake's view of each lot (kept from the allocator's events) agrees with the allocator.
    given_by_lot = {str(row["delivery_id"]): row["given"] for row in rows}

    async def intake_agrees() -> bool:
        deliveries = [await client.delivery(d["id"]) for d in outcome.deliveries]
        return all(d["sold"] == given_by_lot[d["id"]] for d in deliveries)

    await wait_until(intake_agrees, what="intake's sold counts")


async def assert_everyone_told(
    client: HubClient, mailbox: Mailbox, outcome: Outcome, scenario: Scenario
) -> None:
    """Buyers hear that their order is queued and what they got; producers, that their delivery
    was recorded and that their units sold."""
    sold = {d["id"]: (await client.delivery(d["id"]))["sold"] for d in outcome.deliveries}
    expected = {
        ("order", order["id"]): {"order_received"}
        | ({"order_allocated"} if order["allocated"] else set())
        for order in outcome.orders
    } | {
        ("producer", producer["id"]): {"delivery_recorded"}
        | ({"units_sold"} if sold[delivery["id"]] else set())
        for producer, delivery in zip(outcome.producers, outcome.deliveries, strict=True)
    }

    async def all_settled() -> dict | None:
        found = await asyncio.gather(
            *(client.messages(**{f"{kind}_id": identifier}) for kind, identifier in expected)
        )
        by_recipient = dict(zip(expected, found, strict=True))
        for key, messages in by_recipient.items():
            if {m["template"] for m in messages} != expected[key]:
                return None
            if any(m["status"] == "pending" for m in messages):
                return None
        return by_recipient

    by_recipient = await wait_until(all_settled, what="every message sent or skipped")
    addresses = [b.email for b in scenario.buyers] + [p.email for p in scenario.producers]
    for messages, address in zip(by_recipient.values(), addresses, strict=True):
        assert_delivered(messages, address, mailbox)
    for producer in outcome.producers:
        templates = [m["template"] for m in by_recipient[("producer", producer["id"])]]
        assert templates.count("delivery_recorded") == 1


def assert_delivered(messages: list[dict], address: str | None, mailbox: Mailbox) -> None:
    """Sent to those with an address (and in the SMTP server), skipped for those without."""
    if address is None:
        assert {m["status"] for m in messages} == {"skipped"}
        return
    assert {m["status"] for m in messages} == {"sent"}
    for message in messages:
        received = mailbox.with_message_id(message["id"])
        assert len(received) == 1
        assert received[0]["To"].addresses[0].addr_spec == address
