"""The benchmarks' baselines run on the code as it is: a baseline that broke with a change of the
services' own statements (the outbox's partition column did) would leave the suite with no
figure to compare against. Each runs for a moment in a sandbox; what it measures is not judged
here (speed belongs in bench/), only that it does the work it claims."""

from bench.runners import bare_work
from tools.sandbox import Sandbox


async def test_the_bare_work_baseline_places_and_publishes_with_the_services_statements(
    box: Sandbox,
):
    result = await bare_work(box.database_url, box.amqp_url, concurrency=2, seconds=0.3)
    assert result["mode"] == "both"
    assert result["orders"] > 0
    assert result["cpu_ms_per_order"] > 0
