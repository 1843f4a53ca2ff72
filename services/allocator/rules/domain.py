"""The allocator's plain data: policies, lots, waiting orders (claims), and what a fill gives
and why. The rules that use them are in `allocation.py`; none of this does I/O."""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from typing_extensions import TypeAliasType

# Named: one schema in the API document for the policy that is set and the one answered.
Mode = TypeAliasType("PolicyMode", Literal["fifo", "fair_share", "lottery"])
MODES: tuple[Mode, ...] = ("fifo", "fair_share", "lottery")
DEFAULT_HOLD_SECONDS = 48 * 3600


@dataclass(frozen=True)
class ClassShare:
    name: str
    reserve_percent: int = 0


# The default for a public centre: health facilities first, then programs and agencies, then
# the public, which has 40% of every delivery reserved, so that big buyers ahead of it in class
# order cannot take a whole day's supply. The reserve is work-conserving: what the public does
# not want flows on to the others at once, and the public may take more in its turn.
DEFAULT_CLASSES = (
    ClassShare("health"),
    ClassShare("program"),
    ClassShare("agency"),
    ClassShare("public", reserve_percent=40),
)
# What one buyer may get of a product in a day, unless the operator sets another cap (or none).
# An individual wants a handful and a shop a few dozen: they get their whole order. A health
# facility, agency or bank wanting hundreds gets 100 a day and keeps its place for the rest, so
# a day's supply (about 2,000 masks on the founding day) reaches at least 20 buyers, and the
# public's reserve is not used up by its first few big orders (see tools/founding_day_outcome).
DEFAULT_DAILY_CAP = 100


@dataclass(frozen=True)
class Policy:
    """How one product at one hub is shared; version 0 is the default nobody has set."""

    mode: Mode = "fifo"
    per_buyer_daily_cap: int | None = DEFAULT_DAILY_CAP
    classes: tuple[ClassShare, ...] = DEFAULT_CLASSES
    hold_seconds: int = DEFAULT_HOLD_SECONDS
    version: int = 0

    def class_order(self, present: Iterable[str]) -> list[str]:
        """The classes in priority order; a class the policy does not name (an operator gave
        it, or a newer policy dropped it) comes after all named ones, by name."""
        named = [share.name for share in self.classes]
        return named + sorted(set(present) - set(named))

    def reserve_of(self, class_name: str) -> int:
        return next((s.reserve_percent for s in self.classes if s.name == class_name), 0)


@dataclass(frozen=True)
class Lot:
    """Units of one delivery not yet given to anyone."""

    delivery_id: uuid.UUID
    producer_id: uuid.UUID
    available: int


@dataclass(frozen=True)
class Claim:
    """A waiting order, as far as allocation cares. `forfeited` units expired uncollected."""

    order_id: uuid.UUID
    requested: int
    allocated: int = 0
    buyer: str = ""
    priority_class: str = "public"
    accept_partial: bool = True
    forfeited: int = 0
    # The programme paying for the order (id, price per unit to the producer), if one does:
    # allocation ignores it; every announcement of the order's units carries it.
    programme: tuple[uuid.UUID, int] | None = None

    @property
    def wanted(self) -> int:
        return self.requested - self.allocated - self.forfeited

    @property
    def buyer_key(self) -> str:
        """The buyer, for the daily cap; an order with no known buyer is a buyer of its own."""
        return self.buyer or str(self.order_id)


@dataclass(frozen=True)
class Allocation:
    """Units of one lot given to one order, by one rule."""

    order_id: uuid.UUID
    delivery_id: uuid.UUID
    producer_id: uuid.UUID
    quantity: int
    rule: str = "fifo"


@dataclass(frozen=True)
class Skip:
    """Why an order that wanted units got none (or no more) in this fill."""

    order_id: uuid.UUID
    rule: Literal["daily_cap", "whole_order", "not_drawn"]
    detail: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Fill:
    allocations: list[Allocation]
    skips: list[Skip]
    # Classes whose fetched head of the queue was too short to decide: fetch more, fill again.
    needs_more: frozenset[str] = frozenset()
    # A lottery's seed, and the classes whose entrants it drew among.
    draw_seed: int | None = None
    drawn_classes: frozenset[str] = frozenset()


def total_by_order(allocations: Iterable[Allocation]) -> dict[uuid.UUID, int]:
    return _totals(allocations, key=lambda a: a.order_id)


def total_by_lot(allocations: Iterable[Allocation]) -> dict[uuid.UUID, int]:
    return _totals(allocations, key=lambda a: a.delivery_id)


def _totals(allocations: Iterable[Allocation], key) -> dict[uuid.UUID, int]:
    totals: dict[uuid.UUID, int] = defaultdict(int)
    for allocation in allocations:
        totals[key(allocation)] += allocation.quantity
    return dict(totals)
