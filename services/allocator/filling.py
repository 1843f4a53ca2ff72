"""Filling a product's queue from its stock: the one place where units are given.

The caller holds the product's lock. A fill reads only the lots with stock and the head of
each class's queue (more only when the head was too short to decide), so its cost follows the
orders it serves, not the length of the queue. A lottery is the exception: a fair draw reads
every entrant of its class.
"""

import secrets
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import asyncpg

from services.allocator import days, policies, store
from services.allocator.allocation import allocate
from services.allocator.domain import Allocation, Claim, Fill, Policy
from shared import outbox
from shared.events import Envelope, EventPayload, LotShare, OrderAllocated

# Orders read from the head of each class at first; doubled while that is too few to decide.
FIRST_READ = 128

Emit = Callable[[EventPayload], Envelope]


async def fill(
    conn: asyncpg.Connection,
    hub: str,
    sku: str,
    emit: Emit,
    news: list[Envelope] | None = None,
) -> Fill | None:
    """Give the product's stock to its queue under the active policy; record and announce it.

    The announcements go to the outbox, or onto `news` when given, for a caller that stores
    its own events with them in one round trip."""
    start = await store.fill_start(conn, hub, sku)
    lots = store.lots_from(start)
    if not lots:
        return None
    totals = store.totals_from(start)
    if not totals:
        return None
    policy = policies.from_row(start, classes="class_rules")
    today = days.today(days.zone_named(start["timezone"]))
    lottery = policy.mode == "lottery"
    seed = secrets.randbits(62) if lottery else None
    limits = _first_reads(policy, totals, sum_available(lots))
    heads = {name: await _head(conn, hub, sku, name, limits[name]) for name in totals}
    while True:
        truncated = {
            n for n, limit in limits.items() if limit is not None and len(heads[n]) == limit
        }
        taken = {}
        if policy.per_buyer_daily_cap is not None:
            buyers = (claim.buyer_key for claims in heads.values() for claim in claims)
            taken = await store.taken_today(conn, hub, sku, today, buyers)
        result = allocate(lots, heads, policy, taken_today=taken, seed=seed, truncated=truncated)
        if not result.needs_more:
            break
        for name in result.needs_more:
            limits[name] = max(limits[name] * 2, FIRST_READ)
            heads[name] = await _head(conn, hub, sku, name, limits[name])

    claims = {claim.order_id: claim for group in heads.values() for claim in group}
    await store.record_skips(conn, result.skips)
    if not result.allocations:
        return result
    draw_id = None
    if result.draw_seed is not None:
        entrants = {n: [str(c.order_id) for c in heads[n]] for n in result.drawn_classes}
        draw_id = await conn.fetchval(
            store.DRAW_INSERT,
            hub,
            sku,
            policy.version,
            result.draw_seed,
            entrants,
            sum(a.quantity for a in result.allocations),
        )
    hold_until = datetime.now(UTC) + timedelta(seconds=policy.hold_seconds)
    await store.record_allocations(
        conn,
        result.allocations,
        hub=hub,
        sku=sku,
        policy_version=policy.version,
        hold_until=hold_until,
        draw_id=draw_id,
    )
    by_buyer: dict[str, int] = defaultdict(int)
    for allocation in result.allocations:
        by_buyer[claims[allocation.order_id].buyer_key] += allocation.quantity
    await store.add_to_buyer_days(conn, hub, sku, today, by_buyer)
    announced = [
        emit(payload)
        for payload in _announcements(
            sku, claims, result, policy_version=policy.version, hold_until=hold_until
        )
    ]
    if news is None:
        await outbox.add(conn, *announced)
    else:
        news.extend(announced)
    return result


def _announcements(
    sku: str,
    claims: dict,
    result: Fill,
    *,
    policy_version: int,
    hold_until: datetime,
) -> list[OrderAllocated]:
    """One order.allocated per order and rule, in the order the units were given."""
    grouped: dict[tuple, list[Allocation]] = defaultdict(list)
    for allocation in result.allocations:
        grouped[(allocation.order_id, allocation.rule)].append(allocation)
    running: dict = defaultdict(int)
    events = []
    for (order_id, rule), given in grouped.items():
        claim: Claim = claims[order_id]
        quantity = sum(a.quantity for a in given)
        running[order_id] += quantity
        events.append(
            OrderAllocated(
                order_id=order_id,
                sku=sku,
                quantity=quantity,
                allocated_total=claim.allocated + running[order_id],
                requested=claim.requested,
                lots=shares(given),
                rule=rule,
                policy_version=policy_version,
                hold_until=hold_until,
                draw_seed=result.draw_seed,
            )
        )
    return events


def _first_reads(
    policy: Policy, totals: dict[str, tuple[int, int]], units: int
) -> dict[str, int | None]:
    """How many orders to read first from the head of each class (None: all of them).

    A class the units cannot reach (the classes before it want them all, and it has no
    reserve) is not read at all; the allocation asks for it if the units get there after all.
    Fair share gives most orders one unit when supply is short, so it reads an order per unit.
    """
    if policy.mode == "lottery":  # a fair draw is among every entrant
        return dict.fromkeys(totals)
    first_read = FIRST_READ if policy.mode == "fifo" else max(FIRST_READ, units)
    limits, wanted_before = {}, 0
    for name in policy.class_order(totals):
        if name in totals:
            reached = wanted_before < units or policy.reserve_of(name) > 0
            limits[name] = first_read if reached else 0
            wanted_before += totals[name][1]
    return limits


async def _head(conn: asyncpg.Connection, hub: str, sku: str, name: str, limit: int | None):
    return [] if limit == 0 else await store.queue_head(conn, hub, sku, name, limit)


def sum_available(lots) -> int:
    return sum(lot.available for lot in lots)


def shares(allocations: list[Allocation]) -> tuple[LotShare, ...]:
    """Units per lot, so each event traces back to the producers."""
    per_lot: dict = {}
    for a in allocations:
        key = (a.delivery_id, a.producer_id)
        per_lot[key] = per_lot.get(key, 0) + a.quantity
    return tuple(
        LotShare(delivery_id=delivery_id, producer_id=producer_id, quantity=quantity)
        for (delivery_id, producer_id), quantity in per_lot.items()
    )
