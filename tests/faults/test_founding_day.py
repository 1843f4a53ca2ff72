"""The founding day with the allocator killed in the middle of it (moved here from the end-to-end
tests): the day ends exactly as an undisturbed day does, buyer by buyer."""

from tests.faults.world import World
from tests.support.allocator_invariants import units_given_once
from tools.client import HubClient, new_hub_code
from tools.founding_day import Outcome, founding_day, in_queue_order, play

SCENARIO = founding_day(seed=7)


def allocated_by_buyer(outcome: Outcome) -> list[int]:
    """What each buyer of the scenario got, in the scenario's order (the same in every run)."""
    return [order["allocated"] for order in outcome.orders]


async def test_allocator_killed_mid_day_ends_the_day_as_an_undisturbed_run(
    client: HubClient, healthy: World
):
    calm = await play(client, new_hub_code("calm"), SCENARIO)
    allocator = healthy.stack["allocator"]

    async def crash_and_recover(delivery_index: int) -> None:
        if delivery_index == 12:
            allocator.kill()  # SIGKILL while it is allocating the lots just delivered
        elif delivery_index == 25:
            allocator.start()  # the deliveries in between waited in its queue
            await allocator.wait_ready()

    crashed = await play(client, new_hub_code("crash"), SCENARIO, after_delivery=crash_and_recover)

    assert allocated_by_buyer(crashed) == allocated_by_buyer(calm)
    # The deliveries that waited while it was down may be filled together once it is back: the
    # same as one by one, which is what the allocator's pure rules give (reserves count per lot).
    assert allocated_by_buyer(calm) == in_queue_order(SCENARIO)
    assert await units_given_once(healthy.database_url, crashed.hub) == SCENARIO.accepted_total
    stock = await client.stock(crashed.hub, "masker-kain")
    assert stock["allocated"] == stock["received"] == SCENARIO.accepted_total
