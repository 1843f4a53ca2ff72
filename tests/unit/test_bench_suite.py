"""The benchmark suite's arithmetic: percentiles, slopes, profile summaries and target lines.

The suite itself needs the servers and minutes of load and is not run here; what it concludes
from its samples is, so that a wrong PASS cannot come from a wrong sum."""

from bench import broker_floor, profiling, report
from bench.measure import flat, latency_summary, percentile, rate_the_cpus_allow, slope


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 0.50) == 50
    assert percentile(values, 0.99) == 99
    assert percentile(values, 1.0) == 100
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) is None


def test_latency_summary_in_milliseconds():
    summary = latency_summary([0.001, 0.002, 0.003, 0.100])
    assert summary == {"count": 4, "p50_ms": 2.0, "p99_ms": 100.0, "max_ms": 100.0}


def test_slope_and_flat():
    rising = [(t, 10.0 + 2.0 * t) for t in range(20)]
    assert round(slope(rising), 6) == 2.0
    assert flat(rising, tolerance=1.0) == (False, 2.0)
    level = [(t, 100.0 + (t % 2)) for t in range(20)]
    is_flat, rate = flat(level, tolerance=1.0)
    assert is_flat and abs(rate) < 0.1
    # A warm-up step at the start is left out.
    warming = [(t, 0.0 if t < 4 else 50.0) for t in range(20)]
    assert flat(warming, tolerance=0.5)[0]
    assert flat([(0, 1.0)], tolerance=1.0) == (None, None)


def test_rate_the_cpus_allow_sums_every_process_cost():
    # 2 cores at 4 ms per order in all (services and servers): 500 orders a second at most.
    assert rate_the_cpus_allow([1.5, 0.5, 2.0], cpus=2) == 500
    assert rate_the_cpus_allow([], cpus=2) is None


MAIN = "<module> (/repo/services/orders/__main__.py:4)"
RAW = "\n".join(
    [
        f"{MAIN};run (/repo/shared/service.py:110);execute (/v/site-packages/asyncpg/c.py:10) 60",
        f"{MAIN};post_order (/repo/services/orders/api.py:50) 30",
        f"{MAIN};select (/usr/lib/python3.11/selectors.py:468) 10",
    ]
)


def test_profile_summary_shares_and_categories():
    summary = profiling.summarise(RAW, seconds=2, rate=100)
    assert summary["samples"] == 100
    assert summary["busy_percent"] == 50.0
    categories = dict(summary["by_category_percent"])
    assert categories == {"asyncpg": 60.0, "services (own code)": 30.0, "asyncio event loop": 10.0}
    own = dict(summary["top_self_percent"])
    assert own["execute (asyncpg/c.py)"] == 60.0
    assert own["post_order (services/orders/api.py)"] == 30.0
    inclusive = dict(summary["top_inclusive_percent"])
    assert inclusive["<module> (services/orders/__main__.py)"] == 100.0


def _row(variant, level, per_second):
    return {
        "variant": variant,
        "concurrency": level,
        "rounds": 1,
        "per_second": per_second,
        "per_second_range": [per_second, per_second],
        "p50_ms": 1.0,
        "p99_ms": 2.0,
        "max_ms": 3.0,
        "cpu_ms_per_order": 1.0,
        "errors": [],
    }


def test_intake_targets_are_judged_at_the_most_clients():
    intake = {
        "closed_loop": [
            _row(report.ORDERS, 1, 10_000.0),  # a lower level does not decide
            _row(report.NAIVE, 1, 1.0),
            _row(report.BARE_WORK, 1, 1.0),
            {**_row(report.ORDERS, 64, 300.0), "orders_per_second_the_cpus_allow": 350},
            _row(report.NAIVE, 64, 200.0),
            _row(report.BARE_WORK, 64, 400.0),
        ],
        "memory": {"idle": {}, "under_load": {}},
    }
    lines = {line["target"]: line for line in report.targets({"intake": intake})}
    naive = lines["order intake >= 2x the naive baseline"]
    work = lines["order intake >= 60% of the bare-work ceiling"]
    assert (naive["status"], work["status"]) == ("FAIL", "PASS")
    assert "x1.5" in naive["why"] and "0.75" in work["why"]
    assert "the CPUs allow at most 350/s" in naive["why"]  # under the 400/s the target asks
    assert lines["RSS and backlog flat over a 10-minute soak"]["status"] == "SKIP"


def test_the_broker_floor_routes_each_event_as_the_topology_does():
    # order.placed reaches the allocator and the notifier, order.allocated three services, and
    # notification.sent nobody (so it is not published): six deliveries for three events.
    assert broker_floor.queues_of("order.placed") == ["allocator.events", "notifier.events"]
    assert broker_floor.queues_of("notification.sent") == []
    assert broker_floor.deliveries_per_order() == {
        "allocator.events": 1,
        "notifier.events": 3,
        "intake.events": 1,
        "orders.events": 1,
    }
    messages = broker_floor.messages_of(25, [b"{}"], per_message=10)
    assert [(key, body.count(b"{}")) for key, body, _ in messages[:3]] == [
        ("order.placed", 10),
        ("order.queued", 10),
        ("order.allocated", 10),
    ]
    assert len(messages) == 9 and messages[-1][1].count(b"{}") == 5


def test_the_whole_system_target_names_what_the_bus_alone_allows():
    step = {
        "rate": 1000.0,
        "seconds": 10.0,
        "answered_per_second": 990.0,
        "allocated_per_second": 150.0,
        "sustained": False,
        "to_allocated": {"p50_ms": 1.0, "p99_ms": 9000.0, "max_ms": 1.0, "censored": 0},
        "backlog": {"slope_per_second": 800.0, "flat": False},
        "memory": {"idle": {}, "under_load": {}},
    }
    floor = {"published_per_order": 6, "deliveries_per_order": 6,
             "orders_per_second_the_cpus_allow_with_clients": 600}  # fmt: skip
    e2e = {"steps": [step], "highest_sustained_rate": None, "broker_floor": floor}
    lines = {line["target"][:40]: line for line in report.targets({"e2e": e2e})}
    line = lines["whole system sustains 1,000 orders/s, fl"]
    assert line["status"] == "FAIL"
    assert "allows at most 600/s" in line["why"]


def test_a_broker_floor_without_a_ceiling_is_reported_as_such():
    """The broker's CPU measured at zero or below (a shared machine) leaves no ceiling: the
    report says n/a rather than failing, and with it the whole run's report."""
    floor = {
        "orders": 2000,
        "published_per_order": 0.3,
        "deliveries_per_order": 0.6,
        "deliveries_by_queue": {"allocator.events": 0.1},
        "orders_per_second": 4406.6,
        "broker_cpu_ms_per_order": -0.1,
        "client_cpu_ms_per_order": 0.127,
        "cpus": 2,
        "orders_per_second_the_cpus_allow": None,
        "orders_per_second_the_cpus_allow_with_clients": 8448,
    }

    lines = report.render_broker_floor(floor)

    assert "4,406.6 orders/s" in lines[1]
    assert "at most n/a orders/s for the broker alone, 8,448 with its clients" in lines[1]
