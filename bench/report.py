"""The suite's results as tables and PASS/FAIL lines (bench/README.md says what each means)."""

from bench.measure import ratio

INTAKE_RATIO_NAIVE = 2.0
INTAKE_RATIO_BARE_WORK = 0.6
SYSTEM_RATE = 1000.0
SYSTEM_P99_MS = 250.0
ALLOCATOR_RATIO = 0.5
RSS_LIMIT_MB = 150.0
SOAK_MINUTES = 10.0

ORDERS = "orders service"
NAIVE = "naive baseline"
BARE_WORK = "bare work (no HTTP)"
BARE_HTTP = "bare aiohttp JSON"


def _fmt(value, width: int, digits: int = 1) -> str:
    if value is None:
        text = "-"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float):
        text = f"{value:,.{digits}f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return text.rjust(width)


def _table(columns: list[tuple[str, int]], rows: list[list]) -> list[str]:
    head = "  ".join(
        name.ljust(width) if i == 0 else name.rjust(width)
        for i, (name, width) in enumerate(columns)
    )
    lines = [head]
    for row in rows:
        cells = []
        for i, ((_, width), value) in enumerate(zip(columns, row, strict=True)):
            cells.append(str(value).ljust(width) if i == 0 else _fmt(value, width))
        lines.append("  ".join(cells))
    return lines


def _row(intake: dict, variant: str, level: int) -> dict | None:
    for row in intake.get("closed_loop", []):
        if row["variant"] == variant and row["concurrency"] == level:
            return row
    return None


def _top_level(intake: dict) -> int | None:
    levels = [r["concurrency"] for r in intake.get("closed_loop", []) if r["variant"] == ORDERS]
    return max(levels) if levels else None


def render_intake(intake: dict, plan: dict) -> list[str]:
    client = "wrk, one thread" if plan.get("use_wrk") else "the Python client (bench/loadgen.py)"
    lines = [
        "== Order intake: POST /v1/orders, operator token and a new Idempotency-Key per order ==",
        f"   only intake and orders running; closed loop by {client}; median of "
        f"{plan.get('rounds')} round(s) of {plan.get('seconds'):g} s, variants taken in turn",
    ]
    rows = []
    levels = sorted({r["concurrency"] for r in intake["closed_loop"]})
    order = [BARE_HTTP, "aiohttp + services' plumbing", NAIVE, BARE_WORK, ORDERS,
             "orders service, partner key"]  # fmt: skip
    for level in levels:
        for variant in order:
            row = _row(intake, variant, level)
            if row is None:
                continue
            low, high = row["per_second_range"]
            spread = f"{low:,.0f}-{high:,.0f}" if row["rounds"] > 1 else ""
            rows.append(
                [f"{level:>3}  {variant}", row["per_second"], spread, row["p50_ms"],
                 row["p99_ms"], row["cpu_ms_per_order"], row.get("servers_cpu_ms_per_order"),
                 row.get("orders_per_second_the_cpus_allow"),
                 "" if row.get("stored_ok", True) and not row["errors"] else "CHECK"]
            )  # fmt: skip
    lines += _table(
        [("clients variant", 36), ("orders/s", 9), ("range", 12), ("p50 ms", 8),
         ("p99 ms", 8), ("cpu ms/order", 12), ("+ servers", 9), ("CPUs allow", 10), ("", 5)],
        rows,
    )  # fmt: skip
    lines.append(
        "   cpu ms/order: the process answering; + servers: Postgres and RabbitMQ (the whole "
        "servers) in the same run; CPUs allow: 1000 x CPUs / (the two), the most orders a second "
        "this machine could carry at that cost"
    )
    lines.append("   ratios, orders service over each ceiling:")
    for level in levels:
        mine = _row(intake, ORDERS, level)
        if mine is None:
            continue
        parts = []
        for name, label in ((NAIVE, "naive"), (BARE_WORK, "bare work"), (BARE_HTTP, "bare http")):
            other = _row(intake, name, level)
            parts.append(f"/{label} {ratio(mine['per_second'], other and other['per_second'])}")
        lines.append(f"   {level:>3} clients: " + ", ".join(parts))
    problems = [
        f"{r['variant']} @{r['concurrency']}: errors {r['errors']}"
        for r in intake["closed_loop"]
        if r["errors"]
    ] + [
        f"{r['variant']} @{r['concurrency']}: stored orders do not match the answers"
        for r in intake["closed_loop"]
        if r.get("stored_ok") is False
    ]
    lines += [f"   CHECK: {p}" for p in problems]
    behind = max((r.get("outbox_after_max", 0) for r in intake["closed_loop"]), default=0)
    lines.append(f"   outbox rows left after a run (the relay behind): at most {behind}")
    if intake.get("open_loop"):
        lines.append(
            "   open loop (Python client, its own process; latency from when each was due):"
        )
        rows = [
            [f"{r['rate']:g}/s for {r['seconds']:g} s", r["per_second"], r["p50_ms"],
             r["p99_ms"], r["max_ms"], r.get("cpu_ms_per_order"),
             sum(r["errors"].values()), r["refused_by_client"]]
            for r in intake["open_loop"]
        ]  # fmt: skip
        lines += [
            "   " + line
            for line in _table(
                [("offered", 18), ("answered/s", 10), ("p50 ms", 8), ("p99 ms", 9),
                 ("max ms", 9), ("cpu ms/order", 12), ("errors", 6), ("not sent", 8)],
                rows,
            )
        ]  # fmt: skip
    for replica in intake.get("reuse_port") or []:
        one, many = replica["one_process"], replica["reuse_port"]
        lines.append(
            f"   orders as {replica['processes']} processes (SO_REUSEPORT) at 64 clients: "
            f"{many['per_second']:,}/s, p99 {many['p99_ms']} ms, {many['cpu_ms_per_order']} cpu "
            f"ms/order; one process just before: {one['per_second']:,}/s, p99 {one['p99_ms']} ms"
        )
    memory = intake["memory"]
    lines.append(
        "   RSS MB idle / under load: "
        + ", ".join(
            f"{name} {_fmt(memory['idle'].get(name), 1)} / {_fmt(memory['under_load'][name], 1)}"
            for name in memory["under_load"]
        )
    )
    return lines


def render_profile(profile: dict | None) -> list[str]:
    if not profile:
        return []
    if "error" in profile:
        return [f"   profile {profile['title']}: {profile['error']}"]
    head = ", ".join(f"{what} {share}%" for what, share in profile["by_category_percent"][:6])
    top = ", ".join(f"{what} {share}%" for what, share in profile["top_self_percent"][:4])
    return [
        f"   profile, {profile['title']}: running Python {profile['busy_percent']}% of the time, "
        f"on a core {profile.get('on_cpu_percent')}%; Python's time in: {head}",
        f"      most own time: {top}",
        f"      (all of it: {profile['summary_file']})",
    ]


def render_broker_floor(result: dict) -> list[str]:
    """bench/broker_floor.py's figures: the bus alone, carrying each order's events. A ceiling
    is None when the broker's CPU measured came out zero or below (seen on a shared machine,
    where it then broke the whole report): shown as n/a."""
    rate = {
        k: "n/a" if v is None else f"{v:,}" for k, v in result.items() if k.startswith("orders")
    }
    return [
        f"broker floor: {result['orders']:,} orders' events, {result['published_per_order']} "
        f"confirmed publishes and {result['deliveries_per_order']} quorum-queue deliveries "
        f"per order ({', '.join(f'{q} {n}' for q, n in result['deliveries_by_queue'].items())})",
        f"   {rate['orders_per_second']} orders/s through the broker and one client process; "
        f"RabbitMQ {result['broker_cpu_ms_per_order']} ms of CPU per order (the client "
        f"{result['client_cpu_ms_per_order']}): {result['cpus']} CPUs allow at most "
        f"{rate['orders_per_second_the_cpus_allow']} orders/s for the broker alone, "
        f"{rate['orders_per_second_the_cpus_allow_with_clients']} with its clients",
    ]


def _bus_allows(e2e: dict) -> str:
    floor = e2e.get("broker_floor")
    if not floor:
        return ""
    return (
        f"; the bus alone (RabbitMQ and its aio-pika clients, {floor['published_per_order']} "
        f"publishes and {floor['deliveries_per_order']} deliveries per order) allows at most "
        f"{floor['orders_per_second_the_cpus_allow_with_clients']:,}/s on these CPUs"
    )


def render_e2e(e2e: dict) -> list[str]:
    lines = [
        "== End to end: the whole system, open loop; POST answered -> order.allocated on the bus "
        "-> buyer's WhatsApp accepted by the stub =="
    ]
    rows = []
    for s in e2e["steps"]:
        alloc, msg = s["to_allocated"], s["to_buyer_message"]
        rows.append(
            [f"{s['rate']:g}/s x {s['seconds']:g} s", s["refused_by_client"],
             s["answered_per_second"], s["allocated_per_second"], s["post"]["p99_ms"],
             alloc["p50_ms"], alloc["p99_ms"], alloc["max_ms"], alloc["censored"],
             msg["p50_ms"], msg["p99_ms"], msg["max_ms"], msg["censored"],
             s["backlog"]["slope_per_second"], s["backlog"]["flat"], s["sustained"]]
        )  # fmt: skip
    lines += _table(
        [("offered", 15), ("not sent", 8), ("answered/s", 10), ("alloc/s", 7), ("POST p99", 8),
         ("alloc p50", 9), ("p99", 8), ("max", 8), ("late", 5), ("msg p50", 8), ("p99", 8),
         ("max", 8), ("late", 5), ("backlog/s", 9), ("flat", 4), ("kept up", 7)],
        rows,
    )  # fmt: skip
    lines.append(
        "   ms from the POST's answer; 'not sent': the client had 2,000 in flight; 'late': "
        "orders not allocated / buyers' messages not accepted when the watch ended (counted as "
        "waiting until then: the percentiles are then lower bounds); backlog/s: slope of queued "
        "events + outbox rows + pending messages during the load"
    )
    for s in e2e["steps"]:
        cpu = s.get("cpu_ms_per_order") or {}
        if cpu:
            lines.append(
                f"   {s['rate']:g}/s CPU ms per order (first order to last message): "
                + ", ".join(f"{k} {v}" for k, v in cpu.items())
                + f"; sum {round(sum(cpu.values()), 2)}"
            )
        beneath = s.get("infrastructure_cpu_ms_per_order") or {}
        if beneath:
            lines.append(
                f"   {s['rate']:g}/s CPU ms per order beneath them (rabbitmq: the whole node): "
                + ", ".join(f"{k} {v}" for k, v in sorted(beneath.items()))
                + f"; {round(sum(cpu.values()) + sum(beneath.values()), 2)} ms in all, so the "
                f"CPUs allow at most {s['orders_per_second_the_cpus_allow']:,} orders/s"
            )
        peaks = ", ".join(f"{k} {v:,}" for k, v in s["backlog"]["part_peaks"].items() if v)
        if peaks:
            lines.append(f"   {s['rate']:g}/s backlog peaks: {peaks}")
        if s["errors"]:
            lines.append(f"   {s['rate']:g}/s errors: {s['errors']} {s['error_samples'][:2]}")
        for profile in s.get("profiles", {}).values():
            lines += render_profile(profile)
    lines.append(f"   highest rate kept up with: {e2e['highest_sustained_rate']}")
    floor = e2e.get("broker_floor")
    if floor:
        lines += ["   " + line for line in render_broker_floor(floor)]
        cap = floor["orders_per_second_the_cpus_allow_with_clients"]
        lines += [
            f"   {s['rate']:g}/s: allocated {s['allocated_per_second']}/s, "
            f"{ratio(s['allocated_per_second'], cap)} of what the bus alone allows"
            for s in e2e["steps"]
        ]
    return lines


def render_allocator(allocator: dict) -> list[str]:
    consume = allocator["consume"]
    lines = ["== Allocator =="]
    rows = [
        [r["consumer"], r["messages"], r["seconds"], r["per_second"]] for r in consume["results"]
    ]
    lines += _table([("consumer", 26), ("messages", 9), ("seconds", 8), ("msgs/s", 9)], rows)
    lines.append(f"   allocator / mean of the bare runs: {consume['ratio']}")
    cases = allocator["allocate_delivery"]["cases"]
    rows = [
        [f"{c['orders']:,} waiting ({c['policy']})", c["orders_served_per_delivery"],
         c["median_ms"], c["p90_ms"], c["max_ms"], c["load_seconds"]]
        for c in cases
    ]  # fmt: skip
    lines += _table(
        [("one 2,000-unit delivery", 26), ("served", 7), ("median ms", 9), ("p90 ms", 8),
         ("max ms", 8), ("load s", 7)],
        rows,
    )  # fmt: skip
    return lines


def render_growth(growth: dict) -> list[str]:
    lines = ["== Growth: POST /v1/orders with many orders already in the system =="]
    first = growth["sizes"][0] if growth["sizes"] else None
    rows = [
        [f"{r['orders_in_system']:,}", r["at_1"]["p50_ms"], r["at_1"]["p99_ms"],
         r["at_1"]["cpu_ms_per_order"], r["at_64"]["per_second"], r["at_64"]["p99_ms"],
         r["at_64"]["cpu_ms_per_order"],
         ratio(r["at_64"]["cpu_ms_per_order"], first["at_64"]["cpu_ms_per_order"]),
         ratio(r["at_1"]["p50_ms"], first["at_1"]["p50_ms"]), r["load_seconds"]]
        for r in growth["sizes"]
    ]  # fmt: skip
    lines += _table(
        [("orders in system", 16), ("1: p50 ms", 9), ("p99 ms", 8), ("cpu ms", 7),
         ("64: orders/s", 12), ("p99 ms", 8), ("cpu ms", 7), ("cpu x", 6), ("p50 x", 6),
         ("load s", 7)],
        rows,
    )  # fmt: skip
    lines.append(
        "   cpu ms: the orders process's CPU time per order; cpu x (at 64) and p50 x (at 1): "
        "over the smallest size's"
    )
    return lines


def memory_rows(results: dict) -> dict[str, dict]:
    """Per service: idle RSS, and the peak under load wherever it was measured."""
    table: dict[str, dict] = {}

    def note(name: str, key: str, value, where: str) -> None:
        if value is None:
            return
        entry = table.setdefault(name, {})
        if key == "idle":
            entry.setdefault("idle", value)
        elif value > entry.get("peak", 0):
            entry["peak"], entry["where"] = value, where

    intake = results.get("intake")
    if intake:
        for name, value in intake["memory"]["idle"].items():
            note(name, "idle", value, "intake")
        for name, value in intake["memory"]["under_load"].items():
            note(name, "peak", value, "intake closed loop")
    steps = [(s, f"e2e {s['rate']:g}/s") for s in (results.get("e2e") or {}).get("steps", [])]
    soak = (results.get("soak") or {}).get("step")
    if soak:
        steps.append((soak, "soak"))
    for step, where in steps:
        for name, value in step["memory"]["idle"].items():
            note(name, "idle", value, where)
        for name, value in step["memory"]["under_load"].items():
            note(name, "peak", value, where)
    if soak:
        for name, trend in soak["memory"]["trend"].items():
            table.setdefault(name, {})["soak_mb_per_minute"] = trend["mb_per_minute"]
    return table


def render_memory(results: dict) -> list[str]:
    table = memory_rows(results)
    if not table:
        return []
    lines = ["== Memory: RSS (VmRSS from /proc/<pid>/status), MB =="]
    rows = [
        [name, entry.get("idle"), entry.get("peak"), entry.get("where", ""),
         entry.get("soak_mb_per_minute")]
        for name, entry in table.items()
    ]  # fmt: skip
    lines += _table(
        [("process", 16), ("idle", 7), ("under load", 10), ("where", 22), ("soak MB/min", 11)],
        rows,
    )  # fmt: skip
    return lines


def targets(results: dict) -> list[dict]:
    """Each target: PASS, FAIL, or SKIP when this run did not measure it; and why."""
    lines = []

    def add(name: str, status: str, why: str) -> None:
        lines.append({"target": name, "status": status, "why": why})

    intake = results.get("intake")
    level = _top_level(intake) if intake else None
    if level is not None:
        mine, naive = _row(intake, ORDERS, level), _row(intake, NAIVE, level)
        work = _row(intake, BARE_WORK, level)
        against_naive = ratio(mine["per_second"], naive and naive["per_second"])
        against_work = ratio(mine["per_second"], work and work["per_second"])
        add(
            f"order intake >= {INTAKE_RATIO_NAIVE:g}x the naive baseline",
            "PASS" if against_naive and against_naive >= INTAKE_RATIO_NAIVE else "FAIL",
            f"at {level} clients: {mine['per_second']:,}/s vs naive "
            f"{naive and naive['per_second']:,}/s = x{against_naive}"
            + (f"; at its CPU cost per order (with Postgres and RabbitMQ) the CPUs allow at most "
               f"{mine['orders_per_second_the_cpus_allow']:,}/s"
               if mine.get("orders_per_second_the_cpus_allow") else ""),
        )  # fmt: skip
        add(
            f"order intake >= {INTAKE_RATIO_BARE_WORK:.0%} of the bare-work ceiling",
            "PASS" if against_work and against_work >= INTAKE_RATIO_BARE_WORK else "FAIL",
            f"at {level} clients: {mine['per_second']:,}/s vs bare work "
            f"{work and work['per_second']:,}/s = {against_work}",
        )
    else:
        add("order intake vs naive and bare work", "SKIP", "intake not measured")

    e2e = results.get("e2e")
    if e2e:
        at_rate = [s for s in e2e["steps"] if s["rate"] >= SYSTEM_RATE]
        if at_rate:
            s = max(at_rate, key=lambda step: step["sustained"])
            p99 = s["to_allocated"]["p99_ms"]
            good = s["sustained"] and p99 is not None and p99 < SYSTEM_P99_MS
            add(
                f"whole system sustains {SYSTEM_RATE:,.0f} orders/s, flat backlog, "
                f"order-to-allocated p99 < {SYSTEM_P99_MS:g} ms",
                "PASS" if good else "FAIL",
                f"at {s['rate']:g}/s offered: answered {s['answered_per_second']:,}/s, allocated "
                f"{s['allocated_per_second']}/s, backlog slope {s['backlog']['slope_per_second']}"
                f"/s (flat: {s['backlog']['flat']}), p99 {p99} ms"
                + (f" (+{s['to_allocated']['censored']} never allocated in the watch)"
                   if s["to_allocated"]["censored"] else "")
                + f"; highest rate kept up with: {e2e['highest_sustained_rate']}"
                + _bus_allows(e2e),
            )  # fmt: skip
        else:
            add("whole system sustains 1,000 orders/s", "SKIP", "no e2e step at 1,000/s")
    else:
        add("whole system sustains 1,000 orders/s", "SKIP", "e2e not measured")

    allocator = results.get("allocator")
    if allocator:
        value = allocator["consume"]["ratio"]
        add(
            f"allocator >= {ALLOCATOR_RATIO:g}x the no-work consume ceiling",
            "PASS" if value >= ALLOCATOR_RATIO else "FAIL",
            f"allocator {allocator['consume']['results'][1]['per_second']:,} msgs/s / bare mean "
            f"= {value}",
        )
        verdict = allocator["allocate_delivery"]["verdict"]
        add(
            "(allocate_delivery's own) one delivery on 1,000,000 waiting < 50 ms, <= 2x 1,000",
            "PASS" if verdict["pass"] else ("FAIL" if verdict.get("ratio") else "SKIP"),
            verdict["reason"],
        )
    else:
        add("allocator vs no-work consumer", "SKIP", "allocator not measured")

    memory = memory_rows(results)
    services = {n: e for n, e in memory.items() if n in ("intake", "orders", "allocator",
                                                          "notifier")}  # fmt: skip
    if services:
        peaks = {n: e.get("peak") for n, e in services.items()}
        over = {n: p for n, p in peaks.items() if p is not None and p >= RSS_LIMIT_MB}
        add(
            f"each service < {RSS_LIMIT_MB:g} MB RSS under load",
            "FAIL" if over else "PASS",
            ", ".join(f"{n} {p}" for n, p in peaks.items())
            + ("" if len(services) == 4 else " (not all four measured under load)"),
        )
    soak = results.get("soak")
    if soak and soak["minutes"] >= SOAK_MINUTES:
        step = soak["step"]
        trend = {n: t for n, t in step["memory"]["trend"].items() if n in services}
        unflat = [n for n, t in trend.items() if not t["flat"]]
        backlog = step["backlog"]["flat"]
        add(
            f"RSS and backlog flat over a {SOAK_MINUTES:g}-minute soak",
            "PASS" if not unflat and backlog else "FAIL",
            f"{soak['minutes']:g} min at {soak['rate']:g}/s: "
            + ", ".join(f"{n} {t['mb_per_minute']} MB/min" for n, t in trend.items())
            + f"; backlog slope {step['backlog']['slope_per_second']}/s (flat: {backlog})",
        )
        rows = step.get("rows") or {}
        growing = [table for table, trend in rows.items() if not trend["flat"]]
        add(
            "pruned tables level off over the soak (retentions of 2 min)",
            "PASS" if rows and not growing else "FAIL",
            ", ".join(
                f"{table} {t['first']}→{t['peak']}→{t['last']} rows ({t['per_second']}/s)"
                for table, t in rows.items()
            )
            or "no rows sampled",
        )
    else:
        add(
            f"RSS and backlog flat over a {SOAK_MINUTES:g}-minute soak",
            "SKIP",
            "no soak of ten minutes in this run (--soak 10)"
            + (f"; a {soak['minutes']:g}-minute one ran" if soak else ""),
        )
    return lines


def render(results: dict) -> str:
    machine = results["machine"]
    plan = results["plan"]
    lines = [
        f"bench.suite {'--quick ' if plan['quick'] else ''}at {results['started']} "
        f"(commit {machine['commit']}), {machine['cpus']} CPUs, load average "
        f"{tuple(round(x, 2) for x in machine['load_average'])} at the start, "
        f"{tuple(round(x, 2) for x in machine.get('load_average_at_end', ()))} at the end",
        "   A load average near or above the CPU count means others were using the machine: "
        "the figures are then noisy, and ratios (taken in the same run) more telling than "
        "absolutes.",
    ]
    lines += [f"   note: {note}" for note in plan.get("notes", [])]
    if "intake" in results:
        lines += [""] + render_intake(results["intake"], plan)
        lines += render_profile(results["intake"].get("profile"))
    if "e2e" in results:
        lines += [""] + render_e2e(results["e2e"])
    if "allocator" in results:
        lines += [""] + render_allocator(results["allocator"])
    if "growth" in results:
        lines += [""] + render_growth(results["growth"])
    if "soak" in results:
        soak = results["soak"]
        lines += ["", f"== Soak: {soak['minutes']:g} minutes at {soak['rate']:g} orders/s =="]
        lines += render_e2e({"steps": [soak["step"]], "highest_sustained_rate": None})[1:-1]
        for name, t in soak["step"]["memory"]["trend"].items():
            lines.append(
                f"   {name}: RSS {t['first_mb']:.1f} -> {t['last_mb']:.1f} MB, slope "
                f"{t['mb_per_minute']}"
                f" MB/min (flat: {t['flat']})"
            )
    lines += [""] + render_memory(results)
    lines += ["", "== Targets =="]
    for t in results["targets"]:
        lines.append(f"{t['status']}: {t['target']} -- {t['why']}")
    return "\n".join(lines)


if __name__ == "__main__":
    import json
    import sys

    # python -m bench.report bench/results/<time>/suite.json: the tables again, from the JSON
    # (the targets as they were judged then).
    print(render(json.loads(open(sys.argv[1]).read())))
