"""Allocator replicas joining and leaving while orders flow (issue 22): the partitions move
between them, and nothing is lost, doubled or served out of turn."""

from pathlib import Path

from tests.e2e.test_allocator_replicas import WORKLOAD, assert_consistent
from tests.support.allocator_joining import run_joining_and_leaving
from tests.support.allocator_runs import served_out_of_turn


async def test_replicas_join_and_leave_while_orders_flow_and_nothing_is_lost_doubled_or_reordered(
    tmp_path: Path,
):
    run, handled = await run_joining_and_leaving(WORKLOAD, tmp_path / "joining")

    assert all(handled), f"every allocator took part: {handled}"
    assert_consistent(run, WORKLOAD)  # the killed one's exit left out; each event once
    assert run.allocated() == WORKLOAD.expected_allocated()
    assert run.early_cancellations == WORKLOAD.cancelled_early
    assert served_out_of_turn(run, WORKLOAD) == []
    print(f"handled per allocator (first, stopped, killed): {handled}, {run.seconds:.1f}s")
