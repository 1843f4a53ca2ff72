"""The allocation rules, as pure functions over plain data: no I/O, tested by the hundred.

First policy, first come first served: waiting orders are served in queue order, each taking as
much as it still wants from the lots in the order they were received, until stock runs out.
Partial fills are allowed, so the last order served may be short and wait for the next lot.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Lot:
    """Units of one delivery not yet given to anyone."""

    delivery_id: uuid.UUID
    producer_id: uuid.UUID
    available: int


@dataclass(frozen=True)
class Claim:
    """A waiting order, as far as allocation cares."""

    order_id: uuid.UUID
    requested: int
    allocated: int

    @property
    def wanted(self) -> int:
        return self.requested - self.allocated


@dataclass(frozen=True)
class Allocation:
    """Units of one lot given to one order."""

    order_id: uuid.UUID
    delivery_id: uuid.UUID
    producer_id: uuid.UUID
    quantity: int


def allocate_fifo(lots: Sequence[Lot], claims: Sequence[Claim]) -> list[Allocation]:
    """Serve `claims` (in queue order) from `lots` (in order of receipt)."""
    remaining = [lot.available for lot in lots]
    allocations: list[Allocation] = []
    lot_index = 0
    for claim in claims:
        wanted = claim.wanted
        while wanted > 0 and lot_index < len(lots):
            take = min(wanted, remaining[lot_index])
            if take > 0:
                lot = lots[lot_index]
                allocations.append(
                    Allocation(claim.order_id, lot.delivery_id, lot.producer_id, take)
                )
                remaining[lot_index] -= take
                wanted -= take
            if remaining[lot_index] <= 0:
                lot_index += 1
        if lot_index == len(lots):
            break
    return allocations


def total_by_order(allocations: Iterable[Allocation]) -> dict[uuid.UUID, int]:
    return _totals(allocations, key=lambda a: a.order_id)


def total_by_lot(allocations: Iterable[Allocation]) -> dict[uuid.UUID, int]:
    return _totals(allocations, key=lambda a: a.delivery_id)


def _totals(allocations: Iterable[Allocation], key) -> dict[uuid.UUID, int]:
    totals: dict[uuid.UUID, int] = defaultdict(int)
    for allocation in allocations:
        totals[key(allocation)] += allocation.quantity
    return dict(totals)
