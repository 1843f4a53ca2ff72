"""The allocator's invariants (DESIGN.md, "Allocation"), checked with SQL over its whole schema.

Each check reads what the allocator wrote and asserts one rule, naming the rows that break it.
They hold after every committed transaction of the allocator, whatever events came before,
for every product (hub and sku) in the schema.
"""

import bisect
import math
from collections import Counter, defaultdict
from datetime import date

import asyncpg

from services.allocator.rules.domain import Policy
from shared.events import Envelope

# The cap of a product that never had a policy set (version 0: the default).
DEFAULT_CAP = Policy().per_buyer_daily_cap
# The cap of the policy version a fill used, `p` being that version's row (none for version 0).
CAP_USED = (
    f"CASE WHEN p.version IS NULL THEN {DEFAULT_CAP or 'NULL'}::int"
    " ELSE p.per_buyer_daily_cap END AS cap"
)

# Units an allocation still gives: held for the buyer, or handed over.
LIVE = "a.state IN ('held', 'fulfilled')"

LOTS_AGAINST_ALLOCATIONS = f"""
SELECT l.delivery_id, l.sku, l.accepted, l.allocated,
       coalesce(sum(a.quantity) FILTER (WHERE {LIVE}), 0) AS live
FROM lots AS l LEFT JOIN allocations AS a USING (delivery_id)
GROUP BY l.delivery_id
"""
QUEUE_AGAINST_ALLOCATIONS = f"""
SELECT q.order_id, q.sku, q.quantity, q.allocated, q.forfeited, q.state,
       coalesce(sum(a.quantity) FILTER (WHERE {LIVE}), 0) AS live,
       coalesce(sum(a.quantity) FILTER (WHERE a.state = 'expired'), 0) AS expired,
       coalesce(sum(a.quantity) FILTER (WHERE a.state = 'held'), 0) AS held
FROM queue AS q LEFT JOIN allocations AS a USING (order_id)
GROUP BY q.order_id
"""
KEPT_TOTALS = """
SELECT hub, sku, priority_class, orders, units FROM queue_totals
WHERE orders <> 0 OR units <> 0
"""
COUNTED_TOTALS = """
SELECT hub, sku, priority_class, count(*) AS orders,
       sum(quantity - allocated - forfeited) AS units
FROM queue WHERE state = 'waiting'
GROUP BY hub, sku, priority_class
"""
KEPT_HOURS = """
SELECT hub, sku, priority_class, placed_hour, orders, units FROM queue_hours
WHERE orders <> 0 OR units <> 0
"""
COUNTED_HOURS = """
SELECT hub, sku, priority_class, date_trunc('hour', placed_at, 'UTC') AS placed_hour,
       count(*) AS orders, sum(quantity - allocated - forfeited) AS units
FROM queue WHERE state = 'waiting'
GROUP BY hub, sku, priority_class, date_trunc('hour', placed_at, 'UTC')
"""
KEPT_BUYERS = "SELECT hub, sku, buyer_key, orders FROM queue_buyers"
COUNTED_BUYERS = """
SELECT hub, sku, buyer_key, count(*) AS orders FROM queue WHERE state = 'waiting'
GROUP BY hub, sku, buyer_key
"""
KEPT_BUYER_TOTALS = "SELECT hub, sku, buyers FROM queue_buyer_totals WHERE buyers <> 0"
COUNTED_BUYER_TOTALS = """
SELECT hub, sku, count(DISTINCT buyer_key) AS buyers FROM queue WHERE state = 'waiting'
GROUP BY hub, sku
"""
KEPT_SERVED = """
SELECT hub, sku, served_day, served_waiting FROM queue_buyer_totals WHERE served_day IS NOT NULL
"""
# The latest day each product's buyers were served, and how many of them still wait.
COUNTED_SERVED = """
SELECT latest.hub, latest.sku, latest.day, count(waiting.buyer_key) AS served_waiting
FROM (SELECT hub, sku, max(day) AS day FROM buyer_days GROUP BY hub, sku) AS latest
JOIN buyer_days AS served USING (hub, sku, day)
LEFT JOIN queue_buyers AS waiting USING (hub, sku, buyer_key)
GROUP BY latest.hub, latest.sku, latest.day
"""
STOCK = "SELECT hub, sku, sum(accepted - allocated) AS available FROM lots GROUP BY hub, sku"
ACTIVE_CAPS = """
SELECT DISTINCT ON (hub, sku) hub, sku, per_buyer_daily_cap AS cap FROM policies
ORDER BY hub, sku, version DESC
"""
WAITING = """
SELECT order_id, hub, sku, buyer_key, accept_partial, quantity - allocated - forfeited AS wanted
FROM queue WHERE state = 'waiting'
"""
TAKEN_ON = "SELECT hub, sku, buyer_key, units FROM buyer_days WHERE day = $1"
# Units each buyer got in each fill (a fill is one transaction: one allocated_at), what the
# buyer had got by the end of it that day, and the cap of the policy version the fill used.
BUYERS_PER_FILL = f"""
WITH per_fill AS (
    SELECT a.hub, a.sku, q.buyer_key, a.allocated_at, a.policy_version,
           (a.allocated_at AT TIME ZONE $1)::date AS day, sum(a.quantity) AS units
    FROM allocations AS a JOIN queue AS q USING (order_id)
    GROUP BY a.hub, a.sku, q.buyer_key, a.allocated_at, a.policy_version
)
SELECT f.sku, f.buyer_key, f.day, f.allocated_at, f.units, f.policy_version,
       {CAP_USED},
       sum(f.units) OVER (PARTITION BY f.hub, f.sku, f.buyer_key, f.day ORDER BY f.allocated_at)
           AS by_end_of_fill
FROM per_fill AS f
LEFT JOIN policies AS p ON (p.hub, p.sku, p.version) = (f.hub, f.sku, f.policy_version)
"""
GIVEN_PER_DAY = """
SELECT a.hub, a.sku, q.buyer_key, (a.allocated_at AT TIME ZONE $1)::date AS day,
       sum(a.quantity) AS units
FROM allocations AS a JOIN queue AS q USING (order_id)
GROUP BY 1, 2, 3, 4
"""
BUYER_DAYS = "SELECT hub, sku, buyer_key, day, units FROM buyer_days"
# Each product's latest fill under fifo: the orders it served, and the orders of the same class
# ahead of them in the queue, already queued then, still waiting for units, taking part units.
PASSED_OVER_BY_LATEST_FIFO_FILL = f"""
WITH latest AS (
    SELECT DISTINCT ON (hub, sku) hub, sku, allocated_at, policy_version FROM allocations
    ORDER BY hub, sku, allocated_at DESC
), served AS (
    SELECT DISTINCT q.order_id, q.hub, q.sku, q.priority_class, q.placed_at, q.sequence,
           l.allocated_at, l.policy_version, {CAP_USED}
    FROM latest AS l
    JOIN allocations AS a USING (hub, sku, allocated_at)
    JOIN queue AS q USING (order_id)
    LEFT JOIN policies AS p ON (p.hub, p.sku, p.version) = (l.hub, l.sku, l.policy_version)
    WHERE coalesce(p.mode, 'fifo') = 'fifo'
)
SELECT s.order_id AS served, e.order_id AS passed_over, e.hub, e.sku, e.buyer_key, s.cap,
       e.quantity - e.allocated - e.forfeited AS short
FROM served AS s
JOIN queue AS e ON e.hub = s.hub AND e.sku = s.sku AND e.priority_class = s.priority_class
     AND (e.placed_at, e.sequence) < (s.placed_at, s.sequence)
WHERE e.state = 'waiting' AND e.accept_partial AND e.queued_at <= s.allocated_at
"""
ALLOCATIONS = """
SELECT order_id, delivery_id, quantity, rule, state, allocated_at, ended_at FROM allocations
"""
ANNOUNCED = """
SELECT body FROM outbox
WHERE routing_key IN ('order.allocated', 'order.expired', 'order.released')
"""


async def check_all(
    conn: asyncpg.Connection, *, today: date, zone: str, expected_lots: dict
) -> None:
    """Every invariant; `today` is the hub's day when the step began (a day that ends during
    the step only frees cap room, so judging by the earlier day never blames the allocator)."""
    await lots_give_what_they_have(conn, expected_lots)
    await orders_get_what_they_asked(conn)
    await queue_totals_are_counts(conn)
    await no_stock_idles_for_an_eligible_order(conn, today)
    await fifo_serves_in_queue_order(conn, today)
    await caps_hold_per_fill(conn, zone)
    await buyer_days_are_what_buyers_got(conn, zone)
    await the_outbox_announces_every_change(conn)


async def lots_give_what_they_have(conn: asyncpg.Connection, expected_lots: dict) -> None:
    """Invariant 1: a lot gives at most its accepted units, and counts exactly what it gave."""
    rows = await conn.fetch(LOTS_AGAINST_ALLOCATIONS)
    assert {row["delivery_id"]: row["accepted"] for row in rows} == expected_lots
    for row in rows:
        assert 0 <= row["allocated"] <= row["accepted"], dict(row)
        assert row["allocated"] == row["live"], f"lot's count differs from its allocations {row}"


async def orders_get_what_they_asked(conn: asyncpg.Connection) -> None:
    """Invariant 2, and the queue row's bookkeeping: allocated counts the live allocations,
    forfeited the expired ones; 'filled' exactly when nothing more is owed; a cancelled order
    holds nothing."""
    for row in await conn.fetch(QUEUE_AGAINST_ALLOCATIONS):
        assert row["allocated"] + row["forfeited"] <= row["quantity"], dict(row)
        assert row["allocated"] == row["live"], f"order's count differs from allocations {row}"
        assert row["forfeited"] == row["expired"], f"forfeited differs from expired {row}"
        if row["state"] == "cancelled":
            assert row["held"] == 0, f"a cancelled order still holds units {row}"
        else:
            owed = row["quantity"] - row["allocated"] - row["forfeited"]
            assert (row["state"] == "filled") == (owed == 0), dict(row)


async def queue_totals_are_counts(conn: asyncpg.Connection) -> None:
    """The triggers keep queue_totals (per class), queue_hours (per class and hour placed) and
    queue_buyers (per buyer) equal to a fresh count of the waiting orders."""

    def counts(rows: list) -> dict:
        return {tuple(row.values())[:-2]: (row["orders"], row["units"]) for row in rows}

    assert counts(await conn.fetch(KEPT_TOTALS)) == counts(await conn.fetch(COUNTED_TOTALS))
    assert counts(await conn.fetch(KEPT_HOURS)) == counts(await conn.fetch(COUNTED_HOURS))

    # And per buyer (queue_buyers, queue_buyer_totals): a row for each buyer who waits, none
    # for one who does not.
    def rows(found: list) -> set:
        return {tuple(row.values()) for row in found}

    assert rows(await conn.fetch(KEPT_BUYERS)) == rows(await conn.fetch(COUNTED_BUYERS))
    assert rows(await conn.fetch(KEPT_BUYER_TOTALS)) == rows(await conn.fetch(COUNTED_BUYER_TOTALS))
    assert rows(await conn.fetch(KEPT_SERVED)) == rows(await conn.fetch(COUNTED_SERVED))


async def no_stock_idles_for_an_eligible_order(conn: asyncpg.Connection, today: date) -> None:
    """Invariant 3: while a product has stock, no waiting order could take a unit of it: a
    partial order's buyer is at the daily cap, a whole-only order does not fit the stock or
    its buyer's room under the cap."""
    stock = {(row["hub"], row["sku"]): row["available"] for row in await conn.fetch(STOCK)}
    caps = {(row["hub"], row["sku"]): row["cap"] for row in await conn.fetch(ACTIVE_CAPS)}
    taken = {
        (r["hub"], r["sku"], r["buyer_key"]): r["units"] for r in await conn.fetch(TAKEN_ON, today)
    }
    for row in await conn.fetch(WAITING):
        product = (row["hub"], row["sku"])
        available = stock.get(product, 0)
        if available == 0:
            continue
        cap = caps.get(product, DEFAULT_CAP)
        room = math.inf if cap is None else max(cap - taken.get((*product, row["buyer_key"]), 0), 0)
        if row["accept_partial"]:
            could_take = room >= 1
        else:
            could_take = row["wanted"] <= min(room, available)
        assert not could_take, (
            f"{available} units of {product} idle while {dict(row)} waits (cap {cap}, room {room})"
        )


async def fifo_serves_in_queue_order(conn: asyncpg.Connection, today: date) -> None:
    """Invariant 4, for fifo: a fill serves no order of a class while an earlier one that
    takes part units and whose buyer has room under the cap stays short. (Such an order was
    short and had room when the fill ran too: what an order is owed never grows, nor does
    what its buyer may still take that day.)"""
    taken = {
        (r["hub"], r["sku"], r["buyer_key"]): r["units"] for r in await conn.fetch(TAKEN_ON, today)
    }
    for row in await conn.fetch(PASSED_OVER_BY_LATEST_FIFO_FILL):
        cap = row["cap"]
        buyer = (row["hub"], row["sku"], row["buyer_key"])
        room = math.inf if cap is None else cap - taken.get(buyer, 0)
        assert room < 1, f"fifo served {row['served']} before the earlier {dict(row)}"


async def caps_hold_per_fill(conn: asyncpg.Connection, zone: str) -> None:
    """No fill gives a buyer units past the daily cap of the policy it used (units the buyer
    had already got above a newly lowered cap are not taken back, but no more are given)."""
    for row in await conn.fetch(BUYERS_PER_FILL, zone):
        if row["cap"] is not None:
            assert row["by_end_of_fill"] <= row["cap"], (
                f"a fill gave buyer {row['buyer_key']} {row['units']} units of {row['sku']}, "
                f"{row['by_end_of_fill']} that day, past the cap {row['cap']} "
                f"(policy v{row['policy_version']})"
            )


async def buyer_days_are_what_buyers_got(conn: asyncpg.Connection, zone: str) -> None:
    """The daily tally the cap is judged by counts every unit given that day, kept or not."""

    def per_buyer_day(rows: list) -> dict:
        return {
            (row["hub"], row["sku"], row["buyer_key"], row["day"]): row["units"] for row in rows
        }

    given = per_buyer_day(await conn.fetch(GIVEN_PER_DAY, zone))
    assert per_buyer_day(await conn.fetch(BUYER_DAYS)) == given


async def the_outbox_announces_every_change(conn: asyncpg.Connection) -> None:
    """Invariant 5 as buyers and producers hear it: one order.allocated per order, rule and
    fill, with the lots the units came from; one order.expired per order and expiry; one
    order.released per cancelled order that held units. Outbox rows stay: no relay runs."""
    allocations = await conn.fetch(ALLOCATIONS)
    expected = {
        f"order.{kind}": _announcements(allocations, kind)
        for kind in ("allocated", "expired", "released")
    }
    announced: dict[str, Counter] = defaultdict(Counter)
    for row in await conn.fetch(ANNOUNCED):
        event = Envelope.model_validate_json(row["body"])
        payload = event.payload
        lots = frozenset((share["delivery_id"], share["quantity"]) for share in payload["lots"])
        key = (payload["order_id"], payload.get("rule"), payload["quantity"], lots)
        announced[event.type][key] += 1
    for event_type, wanted in expected.items():
        assert announced[event_type] == wanted, event_type


def _announcements(rows: list, kind: str) -> Counter:
    """What the outbox should hold for allocations of one kind, as (order, rule, units, lots)."""
    lots: dict[tuple, Counter] = defaultdict(Counter)
    for row in rows:
        if kind == "allocated":  # every allocation was announced when it was made
            key = (row["order_id"], row["rule"], row["allocated_at"])
        elif row["state"] == kind:  # an ending is announced per order, once per transaction
            key = (row["order_id"], None, row["ended_at"])
        else:
            continue
        lots[key][row["delivery_id"]] += row["quantity"]
    return Counter(
        (
            str(order_id),
            rule,
            sum(per_lot.values()),
            frozenset((str(lot), units) for lot, units in per_lot.items()),
        )
        for (order_id, rule, _), per_lot in lots.items()
    )


# A day's outcome at some hubs, read once everything has settled (the founding day's checks and
# the national day's, bench/national_day.py): qualified by schema, so any connection reads them.

LOTS_OF_HUBS = f"""
SELECT l.hub, l.sku, l.delivery_id, l.producer_id, l.accepted, l.allocated,
       coalesce(sum(a.quantity) FILTER (WHERE {LIVE}), 0) AS given
FROM allocator.lots AS l LEFT JOIN allocator.allocations AS a USING (delivery_id)
WHERE l.hub = ANY($1::text[])
GROUP BY l.delivery_id
"""


async def lots_of_hubs(conn: asyncpg.Connection, hubs: list[str]) -> list[asyncpg.Record]:
    """Invariant 1 at these hubs: no lot gave more than it accepted, and each counts what its
    live allocations gave. Answers the lots (hub, sku, delivery, producer, accepted, given)."""
    lots = await conn.fetch(LOTS_OF_HUBS, hubs)
    over = [dict(lot) for lot in lots if not lot["given"] <= lot["accepted"]]
    assert over == [], f"lots gave more than they accepted: {over[:5]}"
    miscounted = [dict(lot) for lot in lots if lot["allocated"] != lot["given"]]
    assert miscounted == [], f"lots' counts differ from their allocations: {miscounted[:5]}"
    return lots


ORDERS_OF_HUBS = f"""
SELECT q.order_id, q.hub, q.sku, q.quantity, q.allocated,
       coalesce(sum(a.quantity) FILTER (WHERE {LIVE}), 0) AS given
FROM allocator.queue AS q LEFT JOIN allocator.allocations AS a USING (order_id)
WHERE q.hub = ANY($1::text[])
GROUP BY q.order_id
"""


async def orders_of_hubs(conn: asyncpg.Connection, hubs: list[str]) -> list[asyncpg.Record]:
    """Invariant 2 at these hubs: no order got more than it asked, and each counts what its
    live allocations gave. Answers the orders (id, hub, sku, quantity, allocated)."""
    orders = await conn.fetch(ORDERS_OF_HUBS, hubs)
    over = [dict(o) for o in orders if not o["given"] == o["allocated"] <= o["quantity"]]
    assert over == [], f"orders got more than they asked, or miscount: {over[:5]}"
    return orders


# Every unit given at these hubs, with the lot's producer as intake recorded the delivery.
UNTRACED = """
SELECT a.order_id, a.delivery_id, l.producer_id, d.producer_id AS delivered_by, p.hub
FROM allocator.allocations AS a
LEFT JOIN allocator.lots AS l USING (delivery_id)
LEFT JOIN intake.deliveries AS d ON d.id = a.delivery_id
LEFT JOIN intake.producers AS p ON p.id = l.producer_id
WHERE a.hub = ANY($1::text[])
  AND (l.producer_id IS NULL OR d.producer_id IS DISTINCT FROM l.producer_id
       OR p.hub IS DISTINCT FROM a.hub)
"""


async def every_unit_traced(conn: asyncpg.Connection, hubs: list[str]) -> None:
    """Invariant 5 at these hubs: every allocation names a lot that intake recorded as
    delivered by a producer of the same hub (whom the payouts pay)."""
    untraced = [dict(row) for row in await conn.fetch(UNTRACED, hubs)]
    assert untraced == [], f"allocations not traced to their producer: {untraced[:5]}"


SERVED = """
SELECT a.hub, a.sku, q.priority_class, a.allocated_at, q.placed_at, q.sequence, q.order_id
FROM allocator.allocations AS a JOIN allocator.queue AS q USING (order_id)
WHERE a.hub = ANY($1::text[])
"""
# Orders left short that would take part units, with their buyer's most in a day and the cap.
LEFT_SHORT = f"""
SELECT q.hub, q.sku, q.priority_class, q.queued_at, q.placed_at, q.sequence, q.order_id,
       coalesce(c.cap, {DEFAULT_CAP or "NULL"}::int) AS cap, b.taken
FROM allocator.queue AS q
LEFT JOIN (
    SELECT hub, sku, buyer_key, max(units) AS taken FROM allocator.buyer_days
    WHERE hub = ANY($1::text[]) GROUP BY hub, sku, buyer_key
) AS b USING (hub, sku, buyer_key)
LEFT JOIN (
    SELECT DISTINCT ON (hub, sku) hub, sku, per_buyer_daily_cap AS cap FROM allocator.policies
    ORDER BY hub, sku, version DESC
) AS c USING (hub, sku)
WHERE q.hub = ANY($1::text[]) AND q.state = 'waiting' AND q.accept_partial
  AND q.quantity - q.allocated - q.forfeited > 0
"""


async def served_in_class_order(conn: asyncpg.Connection, hubs: list[str]) -> int:
    """Invariant 4 over the whole day, every fill (fifo): within a priority class of a product,
    no order was given units while an earlier order of the class, already queued then and
    taking part units, was left short (unless its buyer had reached the daily cap). What an
    order is owed never grows, so one short at the end was short at every fill before.
    Answers how many orders were left short."""
    short = await conn.fetch(LEFT_SHORT, hubs)
    passed = passed_over(await conn.fetch(SERVED, hubs), short)
    assert passed == [], f"(left short, later order served): {passed[:5]}"
    return len(short)


def passed_over(served: list, short: list) -> list[tuple[str, str]]:
    """(order left short, a later order of its class served since it queued), from the rows of
    SERVED and LEFT_SHORT. Per (hub, sku, class), the fills from the latest back, each with the
    latest-placed order it or any later fill served: an order left short must come after all
    those served since it was queued."""
    fills: dict[tuple, list[tuple]] = defaultdict(list)
    for row in served:
        key = (row["hub"], row["sku"], row["priority_class"])
        fills[key].append((row["allocated_at"], (row["placed_at"], row["sequence"]), row))
    latest_since: dict[tuple, tuple[list, list]] = {}
    for key, rows in fills.items():
        rows.sort(key=lambda fill: fill[0], reverse=True)
        times, latest, running = [], [], None
        for at, place, row in rows:
            if running is None or place > running[0]:
                running = (place, row["order_id"])
            times.append(at)
            latest.append(running)
        latest_since[key] = (times[::-1], latest[::-1])  # ascending times
    found = []
    for order in short:
        if order["cap"] is not None and (order["taken"] or 0) >= order["cap"]:
            continue  # its buyer may take no more today
        key = (order["hub"], order["sku"], order["priority_class"])
        if key not in latest_since:
            continue
        times, latest = latest_since[key]
        first = bisect.bisect_left(times, order["queued_at"])  # the fills since it queued
        if first < len(times) and latest[first][0] > (order["placed_at"], order["sequence"]):
            found.append((str(order["order_id"]), str(latest[first][1])))
    return found


async def units_given_once(database_url: str, hub: str) -> int:
    """No lot of the hub gives more than it accepted; answers the units its lots gave."""
    conn = await asyncpg.connect(database_url)
    try:
        lots = await lots_of_hubs(conn, [hub])
    finally:
        await conn.close()
    return sum(lot["given"] for lot in lots)
