"""Faults in the middle of the day: a killed allocator, a second allocator. Nothing is lost and
nothing is given twice: the day ends as an undisturbed day does."""

import asyncpg

from tools.client import HubClient, new_hub_code, wait_until
from tools.founding_day import Outcome, founding_day, in_queue_order, play
from tools.sandbox import Sandbox, close_connections
from tools.stack import Stack

SCENARIO = founding_day(seed=7)


def allocated_by_buyer(outcome: Outcome) -> list[int]:
    """What each buyer of the scenario got, in the scenario's order (the same in every run)."""
    return [order["allocated"] for order in outcome.orders]


async def assert_no_unit_twice(box: Sandbox, hub: str) -> None:
    conn = await asyncpg.connect(box.database_url)
    try:
        over = await conn.fetch(
            """
            SELECT l.delivery_id FROM allocator.lots l
            JOIN allocator.allocations a USING (delivery_id)
            WHERE l.hub = $1 AND a.state IN ('held', 'fulfilled')
            GROUP BY l.delivery_id, l.accepted HAVING sum(a.quantity) > l.accepted
            """,
            hub,
        )
        given = await conn.fetchval(
            """
            SELECT sum(a.quantity) FROM allocator.allocations a JOIN allocator.lots l
            USING (delivery_id) WHERE l.hub = $1 AND a.state IN ('held', 'fulfilled')
            """,
            hub,
        )
    finally:
        await conn.close()
    assert over == []
    assert given == SCENARIO.accepted_total


async def test_allocator_killed_mid_day_ends_the_day_as_an_undisturbed_run(
    client: HubClient, stack: Stack, box: Sandbox
):
    calm = await play(client, new_hub_code("calm"), SCENARIO)
    allocator = stack["allocator"]

    async def crash_and_recover(delivery_index: int) -> None:
        if delivery_index == 12:
            allocator.kill()  # SIGKILL while it is allocating the lots just delivered
        elif delivery_index == 25:
            allocator.start()  # the deliveries in between waited in its queue
            await allocator.wait_ready()

    crashed = await play(client, new_hub_code("crash"), SCENARIO, after_delivery=crash_and_recover)

    assert allocated_by_buyer(crashed) == allocated_by_buyer(calm)
    await assert_no_unit_twice(box, crashed.hub)
    stock = await client.stock(crashed.hub, "masker-kain")
    assert stock["allocated"] == stock["received"] == SCENARIO.accepted_total


async def test_two_allocators_share_the_day_without_giving_a_unit_twice(
    client: HubClient, stack: Stack, box: Sandbox, tmp_path
):
    second = stack.replica("allocator", tmp_path / "second.log")
    second.start()
    try:
        await second.wait_ready()
        outcome = await play(client, new_hub_code("pair"), SCENARIO)
    finally:
        assert second.stop() == 0, second.log_tail()

    calm = await play(client, new_hub_code("alone"), SCENARIO)
    assert allocated_by_buyer(outcome) == allocated_by_buyer(calm)
    await assert_no_unit_twice(box, outcome.hub)
    handled = [
        line for line in second.log_path.read_text().splitlines() if "events handled" in line
    ]
    assert handled, "the second allocator took part"


async def test_broker_cutting_every_connection_mid_day_loses_nothing(
    client: HubClient, stack: Stack, box: Sandbox
):
    async def cut_connections(delivery_index: int) -> None:
        if delivery_index in (10, 20):
            assert await close_connections(box) >= len(stack.services)

    outcome = await play(client, new_hub_code("cut"), SCENARIO, after_delivery=cut_connections)

    assert allocated_by_buyer(outcome) == in_queue_order(SCENARIO)
    await assert_no_unit_twice(box, outcome.hub)


async def test_a_stopped_notifier_catches_up_on_its_return(client: HubClient, stack: Stack):
    notifier = stack["notifier"]
    notifier.stop()
    try:
        outcome = await play(
            client, new_hub_code("quiet"), founding_day(seed=3, producers=5, buyers=8)
        )
    finally:
        notifier.start()
        await notifier.wait_ready()

    async def everyone_told() -> bool:
        for order in outcome.orders:
            messages = await client.messages(order_id=order["id"])
            if not messages or any(m["status"] == "pending" for m in messages):
                return False
        return True

    await wait_until(everyone_told, what="messages sent after the notifier returned")
