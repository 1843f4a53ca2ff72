"""Filling a product's queue from its stock: the one place where units are given, a use case
over one partition (hub, product) that the caller holds the lock of.

A fill reads only the lots with stock and the head of each class's queue (more only when the
head was too short to decide), so its cost follows the orders it serves, not the length of the
queue. A lottery is the exception: a fair draw reads
every entrant of its class.
"""

import secrets
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.allocator.rules.allocation import allocate
from services.allocator.rules.domain import Allocation, Claim, Fill, Policy, total_by_order
from services.allocator.store import FillRecord, Work
from shared.events import Envelope, EventPayload, LotShare, OrderAllocated, ProgrammeShare

# Orders read from the head of each class at first; doubled while that is too few to decide.
FIRST_READ = 128

Emit = Callable[[EventPayload], Envelope]


@dataclass(frozen=True)
class Filled:
    """What a fill gave: its announcements (one order.allocated per order and rule), and the
    orders it served in full."""

    announcements: list[Envelope]
    completed: frozenset[uuid.UUID]


async def fill(uow: Work, hub: str, sku: str, emit: Emit) -> Filled:
    """Give the product's stock to its queue under the active policy, and record it; answers
    what it gave, for the caller to publish. The caller holds the product's lock."""
    start = await uow.fill_start(hub, sku)
    if start is None:
        return Filled([], frozenset())
    lots, policy = start.lots, start.policy
    seed = secrets.randbits(62) if policy.mode == "lottery" else None
    limits = _first_reads(policy, start.totals, sum_available(lots))
    heads = {name: await _head(uow, hub, sku, name, limits[name]) for name in start.totals}
    while True:
        truncated = {
            n for n, limit in limits.items() if limit is not None and len(heads[n]) == limit
        }
        taken = {}
        if policy.per_buyer_daily_cap is not None:
            buyers = (claim.buyer_key for claims in heads.values() for claim in claims)
            taken = await uow.taken_today(hub, sku, start.today, buyers)
        result = allocate(lots, heads, policy, taken_today=taken, seed=seed, truncated=truncated)
        if not result.needs_more:
            break
        for name in result.needs_more:
            limits[name] = max(limits[name] * 2, FIRST_READ)
            heads[name] = await _head(uow, hub, sku, name, limits[name])

    claims = {claim.order_id: claim for group in heads.values() for claim in group}
    draw_id = None
    if result.allocations and result.draw_seed is not None:
        entrants = {n: [str(c.order_id) for c in heads[n]] for n in result.drawn_classes}
        units = sum(a.quantity for a in result.allocations)
        draw_id = await uow.add_draw(hub, sku, policy.version, result.draw_seed, entrants, units)
    hold_until = datetime.now(UTC) + timedelta(seconds=policy.hold_seconds)
    by_buyer: dict[str, int] = defaultdict(int)
    for allocation in result.allocations:
        by_buyer[claims[allocation.order_id].buyer_key] += allocation.quantity
    uow.record_fill(
        FillRecord(hub, sku, result, policy.version, hold_until, draw_id, start.today, by_buyer)
    )
    given = total_by_order(result.allocations)
    completed = frozenset(
        order_id
        for order_id, units in given.items()
        if claims[order_id].allocated + claims[order_id].forfeited + units
        == claims[order_id].requested
    )
    payloads = _announcements(
        sku, claims, result, policy_version=policy.version, hold_until=hold_until
    )
    return Filled([emit(payload) for payload in payloads], completed)


async def refill(uow: Work, hub: str, sku: str, emit: Emit) -> None:
    """Fill the product's queue again (units came back, a new policy, or yesterday's caps hold
    no one back now) and announce what it gave. Caller holds the product's lock."""
    filled = await fill(uow, hub, sku, emit)
    uow.publish(*filled.announcements)


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
                programme=_programme(claim),
            )
        )
    return events


def _programme(claim: Claim) -> ProgrammeShare | None:
    if claim.programme is None:
        return None
    programme_id, unit_price = claim.programme
    return ProgrammeShare(programme_id=programme_id, unit_price=unit_price)


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


async def _head(uow: Work, hub: str, sku: str, name: str, limit: int | None) -> list[Claim]:
    return [] if limit == 0 else await uow.queue_head(hub, sku, name, limit)


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
