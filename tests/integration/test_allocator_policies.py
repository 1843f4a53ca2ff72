"""Policies through the allocator's API, applied by the running allocator to events on the bus:
who may set them, what is refused, and what each mode does to a real queue."""

import uuid

import aiohttp
import pytest
from aio_pika.abc import AbstractRobustConnection

from services.allocator.rules.allocation import draw
from services.allocator.rules.domain import Claim
from tests.support.bus import EventTap, publish_event
from tests.support.events import SKU, order_id, placed, supply
from tools.client import ApiError, HubClient, new_hub_code, wait_until


async def publish_all(amqp: AbstractRobustConnection, *events) -> None:
    for event in events:
        await publish_event(amqp, event)


async def allocated_of(client: HubClient, order) -> int:
    return (await client.standing(order_id(order)))["allocated"]


async def settled(client: HubClient, hub: str, received: int, allocated: int) -> None:
    async def reached():
        stock = await client.stock(hub, SKU)
        return stock["received"] == received and stock["allocated"] == allocated

    await wait_until(reached, what=f"{allocated} of {received} units allocated")


async def test_a_product_without_a_policy_answers_the_default_as_version_0(client: HubClient):
    policy = await client.policy(new_hub_code(), SKU)

    assert policy["version"] == 0 and policy["set_at"] is None
    assert policy["mode"] == "fifo" and policy["per_buyer_daily_cap"] == 100
    assert policy["classes"] == [
        {"name": "health", "reserve_percent": 0},
        {"name": "program", "reserve_percent": 0},
        {"name": "agency", "reserve_percent": 0},
        {"name": "public", "reserve_percent": 40},
    ]
    assert policy["hold_seconds"] == 172800


async def test_what_a_policy_leaves_out_is_the_defaults_and_null_means_no_cap(client: HubClient):
    hub = new_hub_code()
    default = await client.policy(hub, SKU)

    lottery = await client.set_policy(hub, SKU, mode="lottery")
    uncapped = await client.set_policy(hub, SKU, per_buyer_daily_cap=None)

    assert lottery["mode"] == "lottery"
    assert (lottery["per_buyer_daily_cap"], lottery["classes"]) == (
        default["per_buyer_daily_cap"],
        default["classes"],
    )
    assert uncapped["per_buyer_daily_cap"] is None and uncapped["mode"] == "fifo"


async def test_each_policy_set_is_a_new_version_and_the_newest_is_active(client: HubClient):
    hub = new_hub_code()
    first = await client.set_policy(hub, SKU, mode="fair_share", per_buyer_daily_cap=50)
    second = await client.set_policy(
        hub,
        SKU,
        mode="fifo",
        classes=[{"name": "health", "reserve_percent": 20}, {"name": "public"}],
        hold_seconds=3600,
    )

    assert (first["version"], second["version"]) == (1, 2)
    active = await client.policy(hub, SKU)
    assert active == second
    assert active["classes"] == [
        {"name": "health", "reserve_percent": 20},
        {"name": "public", "reserve_percent": 0},
    ]


async def test_only_an_operator_may_set_a_policy(client: HubClient):
    hub = new_hub_code()
    url = f"{client.urls['allocator']}/v1/hubs/{hub}/products/{SKU}/policy"
    async with client.session.put(url, json={"mode": "lottery"}) as response:
        assert response.status == 401
        assert (await response.json())["type"] == "/problems/unauthorised"
    wrong = {"Authorization": "Bearer not-the-token"}
    async with client.session.put(url, json={"mode": "lottery"}, headers=wrong) as response:
        assert response.status == 401

    assert (await client.policy(hub, SKU))["version"] == 0


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"mode": "first_come"}, "mode"),
        ({"per_buyer_daily_cap": 0}, "per_buyer_daily_cap"),
        ({"per_buyer_daily_cap": "10"}, "per_buyer_daily_cap"),
        ({"hold_seconds": 0}, "hold_seconds"),
        ({"classes": []}, "classes"),
        ({"classes": [{"name": "public"}, {"name": "public"}]}, "classes"),
        (
            {
                "classes": [
                    {"name": "a1", "reserve_percent": 60},
                    {"name": "b2", "reserve_percent": 50},
                ]
            },
            "classes",
        ),
        ({"classes": [{"name": "Public!"}]}, "classes.0.name"),
        ({"classes": [{"name": "health", "reserve_percent": 101}]}, "classes.0.reserve_percent"),
        ({"priority": "high"}, "priority"),
    ],
)
async def test_a_bad_policy_is_refused_naming_the_field_and_nothing_changes(
    client: HubClient, rules: dict, field: str
):
    hub = new_hub_code()

    with pytest.raises(ApiError) as refused:
        await client.set_policy(hub, SKU, **rules)

    assert refused.value.status == 422
    assert field in [error["field"] for error in refused.value.body["errors"]]
    assert (await client.policy(hub, SKU))["version"] == 0


async def test_a_bad_hub_code_in_the_path_is_refused(client: HubClient):
    url = f"{client.urls['allocator']}/v1/hubs/NOT%20A%20HUB/products/{SKU}/policy"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 422


async def test_fair_share_splits_55_units_among_ten_orders_of_100(
    client: HubClient, amqp: AbstractRobustConnection, tap: EventTap
):
    hub = new_hub_code()
    # Fair share alone: no reserve (the default's would name most grants after it).
    await client.set_policy(hub, SKU, mode="fair_share", classes=[{"name": "public"}])
    orders = [placed(hub, 100, minutes=minute) for minute in range(10)]
    await publish_all(amqp, *orders)
    await wait_until(lambda: _waiting(client, hub, 10), what="ten orders queued")

    await publish_event(amqp, supply(hub, 55))

    await settled(client, hub, received=55, allocated=55)
    assert [await allocated_of(client, order) for order in orders] == [6] * 5 + [5] * 5
    rules = {e.payload["rule"] for e in tap.of_hub(hub) if e.type == "order.allocated"}
    assert rules == {"fair_share"}


async def test_a_new_policy_moves_no_unit_already_allocated(
    client: HubClient, amqp: AbstractRobustConnection
):
    hub = new_hub_code()
    first, second = placed(hub, 30), placed(hub, 30, minutes=1)
    await publish_all(amqp, first, second, supply(hub, 40))
    await settled(client, hub, received=40, allocated=40)

    await client.set_policy(hub, SKU, mode="fair_share")
    await publish_event(amqp, supply(hub, 10))

    await settled(client, hub, received=50, allocated=50)
    # fifo gave 30 and 10; the change kept them, and fair share gave the next 10 to the one
    # order still short.
    assert [await allocated_of(client, o) for o in (first, second)] == [30, 20]


async def test_the_daily_cap_holds_a_bank_back_and_the_next_buyer_is_served(
    client: HubClient, amqp: AbstractRobustConnection
):
    hub = new_hub_code()
    await client.set_policy(hub, SKU, per_buyer_daily_cap=10)
    bank = [placed(hub, 10, minutes=m, buyer_key="bank-kalteng") for m in range(3)]
    citizen = placed(hub, 10, minutes=5)
    await publish_all(amqp, *bank, citizen, supply(hub, 25))

    await settled(client, hub, received=25, allocated=20)
    assert [await allocated_of(client, o) for o in (*bank, citizen)] == [10, 0, 0, 10]
    waiting = await client.standing(order_id(bank[1]))
    assert waiting["state"] == "waiting" and waiting["position"] == 1
    assert waiting["explanation"][-2]["rule"] == "daily_cap"
    assert "10 unit per pembeli per hari" in waiting["explanation"][-2]["id"]
    # Stock stays for tomorrow: nobody else eligible wants it today.
    assert (await client.stock(hub, SKU))["available"] == 5


async def test_a_whole_order_waits_for_enough_and_never_blocks_the_order_behind(
    client: HubClient, amqp: AbstractRobustConnection
):
    hub = new_hub_code()
    whole = placed(hub, 40, accept_partial=False)
    behind = placed(hub, 10, minutes=1)
    await publish_all(amqp, whole, behind, supply(hub, 30))

    await settled(client, hub, received=30, allocated=10)
    assert [await allocated_of(client, o) for o in (whole, behind)] == [0, 10]
    standing = await client.standing(order_id(whole))
    assert standing["explanation"][-2]["rule"] == "whole_order"

    await publish_event(amqp, supply(hub, 20))
    await settled(client, hub, received=50, allocated=50)
    assert await allocated_of(client, whole) == 40


async def test_priority_classes_and_a_reserve_that_health_cannot_take(
    client: HubClient, amqp: AbstractRobustConnection, tap: EventTap
):
    hub = new_hub_code()
    await client.set_policy(
        hub, SKU, classes=[{"name": "health"}, {"name": "public", "reserve_percent": 20}]
    )
    citizen = placed(hub, 100)
    clinic = placed(hub, 100, minutes=1, priority_class="health")
    await publish_all(amqp, citizen, clinic, supply(hub, 50))

    await settled(client, hub, received=50, allocated=50)
    # The public's 20% (10 units) is theirs; health, first in line, takes the other 40.
    assert [await allocated_of(client, o) for o in (citizen, clinic)] == [10, 40]
    rules = {
        (e.payload["order_id"], e.payload["rule"])
        for e in tap.of_hub(hub)
        if e.type == "order.allocated"
    }
    assert rules == {(order_id(citizen), "reserve:fifo"), (order_id(clinic), "fifo")}


async def test_a_lottery_publishes_its_seed_and_anyone_can_replay_the_draw(
    client: HubClient, amqp: AbstractRobustConnection, tap: EventTap
):
    hub = new_hub_code()
    await client.set_policy(hub, SKU, mode="lottery", classes=[{"name": "program"}])
    applicants = [placed(hub, 1, minutes=m, priority_class="program") for m in range(30)]
    await publish_all(amqp, *applicants)
    await wait_until(lambda: _waiting(client, hub, 30), what="thirty applicants queued")

    await publish_event(amqp, supply(hub, 10))

    await settled(client, hub, received=10, allocated=10)
    (result,) = (await client.draws(hub, SKU))["draws"]
    entrants = result["entrants"]["program"]
    assert entrants == [order_id(o) for o in applicants]  # in queue order
    replayed = draw([Claim(uuid.UUID(e), 1) for e in entrants], result["seed"], "program")
    winners = {str(claim.order_id) for claim in replayed[:10]}
    given = await wait_until(
        lambda: _allocated_events(tap, hub, 10), what="ten allocations announced"
    )
    assert {e.payload["order_id"] for e in given} == winners
    assert {e.payload["draw_seed"] for e in given} == {result["seed"]}
    loser = next(o for o in applicants if order_id(o) not in winners)
    assert (await client.standing(order_id(loser)))["explanation"][-2]["rule"] == "not_drawn"


async def _waiting(client: HubClient, hub: str, count: int) -> bool:
    return (await client.queue(hub, SKU))["waiting"] == count


async def _allocated_events(tap: EventTap, hub: str, count: int):
    events = [e for e in tap.of_hub(hub) if e.type == "order.allocated"]
    return events if len(events) >= count else None
