"""A programme's budget in the running orders service: what a cancel or an expiry gives back
goes to those who wait (a new draw, or the next first come); 200 applications at once never
commit past the budget; hand-overs are spent and reported to the funder with the producers."""

import asyncio
import uuid
from datetime import UTC, datetime

from shared.events import Envelope, LotShare, OrderAllocated, OrderExpired
from tests.support.bus import publish_event
from tests.support.programme_invariants import programmes_hold
from tests.support.programmes import apply, citizen, draw, open_programme, programme
from tools.client import HubClient, wait_until

CONCURRENT = 200
HOLD_UNTIL = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
PRODUCER = uuid.UUID("6a58219b-060f-42ce-996e-301dd336a171")


def lots(units: int) -> tuple[LotShare, ...]:
    return (LotShare(delivery_id=uuid.uuid4(), producer_id=PRODUCER, quantity=units),)


def allocated(hub: str, order_id: str, units: int) -> Envelope:
    given = OrderAllocated(
        order_id=order_id,
        sku="masker-kain",
        quantity=units,
        allocated_total=units,
        requested=units,
        lots=lots(units),
        rule="fifo",
        policy_version=1,
        hold_until=HOLD_UNTIL,
    )
    return Envelope.wrap(given, hub=hub, correlation_id="test-allocated")


def expired(hub: str, order_id: str, units: int) -> Envelope:
    gone = OrderExpired(
        order_id=order_id,
        sku="masker-kain",
        quantity=units,
        lots=lots(units),
        hold_until=HOLD_UNTIL,
    )
    return Envelope.wrap(gone, hub=hub, correlation_id="test-expired")


async def cancel(client: HubClient, order_id: str) -> dict:
    path = f"/v1/orders/{order_id}/cancel"
    return await client.call("orders", "POST", path, json={}, headers=client.as_operator())


async def applications(client: HubClient, programme_id: str) -> list[dict]:
    path = f"/v1/programmes/{programme_id}/applications"
    answer = await client.call("orders", "GET", path, headers=client.as_operator())
    return answer["applications"]


async def test_a_cancelled_winner_gives_way_to_a_new_draw(client: HubClient, hub: str):
    opened = await open_programme(
        client, hub, selection="lottery", budget=10_000, units_per_recipient=1
    )
    for n in range(1, 6):
        await apply(client, opened["id"], citizen(n))
    first = await draw(client, opened["id"], seed=7)
    assert first["kind"] == "lottery" and len(first["winner_tickets"]) == 2
    by_ticket = {a["ticket"]: a for a in await applications(client, opened["id"])}

    await cancel(client, by_ticket[first["winner_tickets"][0]]["order_id"])

    listed = await client.call("orders", "GET", f"/v1/programmes/{opened['id']}/draws")
    assert [(d["cause"], d["entrants"], d["winners"]) for d in listed["draws"]] == [
        ("operator", 5, 2),
        ("budget_returned", 3, 1),
    ]
    statuses = [a["status"] for a in await applications(client, opened["id"])]
    assert statuses.count("admitted") == 3 and statuses.count("waiting") == 2
    now = await programme(client, opened["id"])
    assert (now["budget_committed"], now["budget_left"]) == (10_000, 0)


async def test_expired_units_admit_the_next_first_come(client: HubClient, hub: str, amqp):
    opened = await open_programme(client, hub, budget=10_000)
    first = (await apply(client, opened["id"], citizen(1), quantity=2))[1]
    second = (await apply(client, opened["id"], citizen(2), quantity=2))[1]
    assert (first["status"], second["status"]) == ("admitted", "waiting")

    await publish_event(amqp, allocated(hub, first["order_id"], 2))
    await publish_event(amqp, expired(hub, first["order_id"], 2))

    async def admitted():
        listed = await applications(client, opened["id"])
        return [a for a in listed if a["order_id"] == second["order_id"]][0]["status"] == "admitted"

    await wait_until(admitted, what="the second admitted once the first's units expired")
    now = await programme(client, opened["id"])
    assert (now["budget_committed"], now["budget_spent"]) == (10_000, 0)


async def test_200_applications_at_once_never_pass_the_budget(
    client: HubClient, hub: str, database
):
    opened = await open_programme(client, hub, budget=50 * 5000, units_per_recipient=1)

    answers = await asyncio.gather(
        *(apply(client, opened["id"], citizen(n)) for n in range(1, CONCURRENT + 1))
    )

    assert all(status == 201 for status, _ in answers), {s for s, _ in answers}
    statuses = [body["status"] for _, body in answers]
    assert statuses.count("admitted") == 50 and statuses.count("waiting") == CONCURRENT - 50
    now = await programme(client, opened["id"])
    assert (now["budget_committed"], now["budget_left"], now["applications"]) == (
        250_000,
        0,
        CONCURRENT,
    )
    placed = await database.fetchval(
        "SELECT count(*) FROM orders.orders WHERE programme_id = $1 AND"
        " programme_status = 'admitted'",
        uuid.UUID(opened["id"]),
    )
    assert placed == 50
    await programmes_hold(database)


async def test_hand_overs_are_spent_and_reported(client: HubClient, hub: str, amqp):
    opened = await open_programme(client, hub, budget=20_000)
    applied = (await apply(client, opened["id"], citizen(1), quantity=2))[1]
    await publish_event(amqp, allocated(hub, applied["order_id"], 2))
    await wait_until(
        lambda: _allocated(client, applied["order_id"]), what="the application's units held"
    )

    path = f"/v1/orders/{applied['order_id']}/fulfil"
    await client.call("orders", "POST", path, json={}, headers=client.as_operator())

    report = await client.call(
        "orders", "GET", f"/v1/programmes/{opened['id']}/report", headers=client.as_operator()
    )
    assert report["budget"] == {"total": 20_000, "committed": 0, "spent": 10_000, "left": 10_000}
    [day] = report["units_by_day"]
    assert (day["region"], day["recipient_type"], day["units"]) == (
        "Kota Palangka Raya",
        "individual",
        2,
    )
    assert report["producers"] == [{"producer_id": str(PRODUCER), "units": 2, "amount": 10_000}]
    assert report["draws"] == [] and report["programme"]["budget_spent"] == 10_000


async def _allocated(client: HubClient, order_id: str) -> bool:
    order = await client.call(
        "orders", "GET", f"/v1/orders/{order_id}", headers=client.as_operator()
    )
    return order["allocated"] == 2
