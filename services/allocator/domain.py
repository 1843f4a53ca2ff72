"""The allocation rules, as pure functions over plain data: no I/O, tested by the hundred.

One fill gives the units on hand (`lots`, in order of receipt) to the waiting orders of one
product under the product's `Policy`:

1. Reserves first: each class with a `reserve_percent` may take that share of the units (rounded
   down) before anyone else. A share its class does not want stays in the pool at once.
2. Then the classes in strict priority order take what is left.

Within a class, the policy's mode decides who is served:

- `fifo`: in queue order, each order taking all it still wants;
- `fair_share`: max-min fair in whole units: every eligible order gets the same number of units
  (or all it wants, if less), and units that do not divide evenly go one each to the first in
  the queue;
- `lottery`: in an order drawn with a published seed among the class's waiting orders, so anyone
  can re-run the draw from the seed and the entrants.

An order may be skipped, and the skip is recorded with its reason: its buyer reached the daily
cap (`daily_cap`), or it wants its whole quantity at once and that does not fit (`whole_order`),
or the lottery did not reach it (`not_drawn`). A skipped order keeps its place and never blocks
the orders behind it.
"""

import random
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["fifo", "fair_share", "lottery"]
MODES: tuple[Mode, ...] = ("fifo", "fair_share", "lottery")
DEFAULT_HOLD_SECONDS = 48 * 3600


@dataclass(frozen=True)
class ClassShare:
    name: str
    reserve_percent: int = 0


DEFAULT_CLASSES = (
    ClassShare("health"),
    ClassShare("program"),
    ClassShare("agency"),
    ClassShare("public"),
)


@dataclass(frozen=True)
class Policy:
    """How one product at one hub is shared; version 0 is the default nobody has set."""

    mode: Mode = "fifo"
    per_buyer_daily_cap: int | None = None
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


def allocate(
    lots: Sequence[Lot],
    queue: Mapping[str, Sequence[Claim]],
    policy: Policy,
    *,
    taken_today: Mapping[str, int] | None = None,
    seed: int | None = None,
    truncated: Iterable[str] = (),
) -> Fill:
    """Give `lots` to the waiting orders in `queue` (class -> orders in queue order).

    `taken_today` is what each buyer already got today, against the daily cap. `seed` drives a
    lottery. A class in `truncated` holds only the head of its queue; the answer's `needs_more`
    says when that head was too short to be sure of the result.
    """
    units = sum(lot.available for lot in lots)
    budget = _Budget(policy.per_buyer_daily_cap, taken_today or {})
    order = policy.class_order(queue)  # an empty head may be a class not read yet
    serving = {
        name: _ClassServing(name, _in_turn(queue.get(name, ()), policy.mode, seed, name), budget)
        for name in order
    }
    truncated = set(truncated)
    needs_more: set[str] = set()
    left = units

    for name in order:
        reserved = min(units * policy.reserve_of(name) // 100, left)
        if reserved:
            given = serving[name].serve(reserved, policy.mode, "reserve:")
            left -= given
            if given < reserved and name in truncated:
                needs_more.add(name)
    for name in order:
        if left == 0:
            break
        left -= serving[name].serve(left, policy.mode, "")
        if left and name in truncated:
            needs_more.add(name)

    for name in truncated - needs_more:
        if name in serving and not serving[name].head_is_enough(policy.mode):
            needs_more.add(name)

    grants = [grant for name in order for grant in serving[name].grants]
    skips = [skip for name in order for skip in serving[name].final_skips(policy.mode)]
    drawn = frozenset(name for name in order if serving[name].reached)
    return Fill(
        allocations=_from_lots(lots, grants),
        skips=skips,
        needs_more=frozenset(needs_more),
        draw_seed=seed if policy.mode == "lottery" and drawn else None,
        drawn_classes=drawn if policy.mode == "lottery" else frozenset(),
    )


def draw(claims: Sequence[Claim], seed: int, class_name: str) -> list[Claim]:
    """The lottery's order of service: a shuffle of the entrants (in queue order) seeded by
    the published seed and the class, so the same inputs always draw the same."""
    drawn = list(claims)
    random.Random(f"{seed}:{class_name}").shuffle(drawn)
    return drawn


@dataclass(frozen=True)
class _Grant:
    order_id: uuid.UUID
    quantity: int
    rule: str


class _Budget:
    """What each buyer may still take today; unlimited when there is no cap."""

    def __init__(self, cap: int | None, taken_today: Mapping[str, int]) -> None:
        self.cap = cap
        self.taken = defaultdict(int, taken_today)

    def room(self, buyer: str) -> int | None:
        return None if self.cap is None else max(self.cap - self.taken[buyer], 0)

    def take(self, buyer: str, units: int) -> None:
        self.taken[buyer] += units


class _ClassServing:
    """One class's orders during one fill: what each has been given, and why some were not."""

    def __init__(self, name: str, claims: list[Claim], budget: _Budget) -> None:
        self.name = name
        self.claims = claims
        self.budget = budget
        self.given: dict[uuid.UUID, int] = defaultdict(int)
        self.grants: list[_Grant] = []
        self.skips: dict[uuid.UUID, Skip] = {}
        self.reached = False  # whether any units came this class's way

    def serve(self, units: int, mode: Mode, prefix: str) -> int:
        if units <= 0:
            return 0
        self.reached = bool(self.claims)
        if mode == "fair_share":
            shares = self._fair_shares(units)
        else:
            shares = self._in_turn_shares(units)
        rule = prefix + mode
        for claim, quantity in shares:
            self.given[claim.order_id] += quantity
            self.budget.take(claim.buyer_key, quantity)
            self.grants.append(_Grant(claim.order_id, quantity, rule))
            self.skips.pop(claim.order_id, None)
        return sum(quantity for _, quantity in shares)

    def head_is_enough(self, mode: Mode) -> bool:
        """Would more orders from the tail of this class change this fill? Not for `fifo`
        when the class used up all it was given (the tail comes after); not for `fair_share`
        when nobody got more than one unit (the tail would only get units after the head)."""
        if mode == "lottery":
            return False
        if mode == "fair_share":
            return all(units <= 1 for units in self.given.values())
        return True

    def final_skips(self, mode: Mode) -> list[Skip]:
        """The reasons recorded, and in a lottery, every entrant the draw did not reach."""
        skips = dict(self.skips)
        if mode == "lottery" and self.reached:
            for claim in self.claims:
                if claim.order_id not in skips and not self.given[claim.order_id]:
                    skips[claim.order_id] = Skip(claim.order_id, "not_drawn")
        return list(skips.values())

    def _room(self, claim: Claim, spent: Mapping[str, int]) -> tuple[int, Skip | None]:
        """What the order may take now, with `spent` more already promised to buyers in this
        step, and the reason when that is nothing."""
        wanted = claim.wanted - self.given[claim.order_id]
        if wanted <= 0:
            return 0, None
        cap_room = self.budget.room(claim.buyer_key)
        if cap_room is not None:
            cap_room -= spent.get(claim.buyer_key, 0)
            if cap_room < (1 if claim.accept_partial else wanted):
                cap = self.budget.cap
                return 0, Skip(claim.order_id, "daily_cap", {"cap": cap, "wanted": wanted})
            wanted = min(wanted, cap_room)
        return wanted, None

    def _in_turn_shares(self, units: int) -> list[tuple[Claim, int]]:
        """fifo and lottery: each order in turn takes all it may, until the units run out."""
        shares = []
        spent: dict[str, int] = defaultdict(int)
        for claim in self.claims:
            if units == 0:
                break
            room, skip = self._room(claim, spent)
            if skip is not None:
                self.skips[claim.order_id] = skip
                continue
            if room == 0:
                continue
            if not claim.accept_partial and room > units:
                self.skips[claim.order_id] = Skip(
                    claim.order_id, "whole_order", {"wanted": room, "available": units}
                )
                continue
            take = min(room, units)
            shares.append((claim, take))
            spent[claim.buyer_key] += take
            units -= take
        return shares

    def _fair_shares(self, units: int) -> list[tuple[Claim, int]]:
        """Max-min fair: raise everyone's units in this fill level by level, lowest first.

        A buyer with several orders gets no more than the daily cap across them: a share that
        would pass it is cut to what the buyer has left (earlier orders first), and the rest
        share again. An order that wants its whole quantity is served only when the level
        reaches it; if it does not, it drops out and the rest share again. Units still left
        after everyone eligible is satisfied go to those dropped orders, in queue order, where
        they fit.
        """
        rooms: dict[uuid.UUID, int] = {}
        for claim in self.claims:
            room, skip = self._room(claim, {})
            if skip is not None:
                self.skips[claim.order_id] = skip
            elif room > 0:
                rooms[claim.order_id] = room
        candidates = [c for c in self.claims if c.order_id in rooms]
        wanted = dict(rooms)  # before any cut for the cap
        # Each round drops the whole orders a share does not reach, then fits the shares under
        # the buyers' caps; a round changes nothing when it is done. The bound only guards
        # against a cycle: the pass for leftover units below keeps the fill work-conserving.
        for _ in range(2 * len(candidates) + 2):
            extra = _water_fill(candidates, rooms, self.given, units)
            too_small = [
                c
                for c in candidates
                if not c.accept_partial and extra.get(c.order_id, 0) < rooms[c.order_id]
            ]
            if too_small:
                leaving = {claim.order_id for claim in too_small}
                candidates = [c for c in candidates if c.order_id not in leaving]
                for claim in too_small:
                    self.skips[claim.order_id] = Skip(
                        claim.order_id,
                        "whole_order",
                        {"wanted": rooms[claim.order_id], "share": extra.get(claim.order_id, 0)},
                    )
                continue
            if not self._fit_to_caps(candidates, rooms, wanted, extra):
                break
        for claim in candidates:
            if rooms[claim.order_id] == 0:  # the cap left it nothing (checked again below)
                self.skips[claim.order_id] = Skip(
                    claim.order_id,
                    "daily_cap",
                    {"cap": self.budget.cap, "wanted": wanted[claim.order_id]},
                )
        shares = {c.order_id: extra[c.order_id] for c in candidates if extra.get(c.order_id)}
        left = units - sum(shares.values())
        spent: dict[str, int] = defaultdict(int)
        for claim in self.claims:
            spent[claim.buyer_key] += shares.get(claim.order_id, 0)
        # Units still left go, in queue order, to the orders the rounds left out (whole orders
        # that did not fit a share, orders whose buyer's cap looked used up), where they fit
        # now: no unit idles while an order could take it.
        for claim in self.claims:
            if left == 0:
                break
            if claim.order_id in shares or claim.order_id not in wanted:
                continue
            room, _ = self._room(claim, spent)
            take = room if not claim.accept_partial else min(room, left)
            if 0 < take <= left and (claim.accept_partial or room == wanted[claim.order_id]):
                shares[claim.order_id] = take
                spent[claim.buyer_key] += take
                left -= take
        # A cap that looked reached while shares were being cut may not be in the end: such an
        # order simply got no unit of a supply that ran out, like any order after the last one
        # served.
        for claim in self.claims:
            skip = self.skips.get(claim.order_id)
            if (
                skip is not None
                and skip.rule == "daily_cap"
                and self._room(claim, spent)[1] is None
            ):
                del self.skips[claim.order_id]
        return [
            (claim, shares[claim.order_id]) for claim in self.claims if claim.order_id in shares
        ]

    def _fit_to_caps(self, candidates: list[Claim], rooms: dict, wanted: dict, extra: dict) -> bool:
        """Set each order's room to what it wants, or less where its buyer would pass the
        daily cap with these shares (earlier orders in the queue keep theirs): none, for a
        whole order that no longer fits. Rooms are worked out afresh each round, so a room
        taken by an order that later drops out comes back. True if any room changed."""
        if self.budget.cap is None:
            return False
        spent: dict[str, int] = defaultdict(int)
        changed = False
        for claim in candidates:
            room, skip = self._room(claim, spent)
            room = 0 if skip is not None else min(room, wanted[claim.order_id])
            changed |= room != rooms[claim.order_id]
            rooms[claim.order_id] = room
            spent[claim.buyer_key] += min(extra.get(claim.order_id, 0), room)
        return changed


def _water_fill(
    claims: Sequence[Claim],
    rooms: Mapping[uuid.UUID, int],
    given: Mapping[uuid.UUID, int],
    units: int,
) -> dict[uuid.UUID, int]:
    """Split `units` so that the lowest level (units given in this fill) rises first; whole
    units that do not divide evenly go one each to the first in queue order."""
    if not claims:
        return {}
    ceiling = {c.order_id: given.get(c.order_id, 0) + rooms[c.order_id] for c in claims}

    def poured(level: int) -> int:
        return sum(
            max(0, min(ceiling[c.order_id], level) - given.get(c.order_id, 0)) for c in claims
        )

    low, high = 0, max(ceiling.values())
    while low < high:  # the highest level that the units can fill for everyone
        middle = (low + high + 1) // 2
        if poured(middle) <= units:
            low = middle
        else:
            high = middle - 1
    level = low
    extra = {
        c.order_id: max(0, min(ceiling[c.order_id], level) - given.get(c.order_id, 0))
        for c in claims
    }
    left = units - sum(extra.values())
    for claim in claims:
        if left == 0:
            break
        # Only orders at the level take a spare unit: one above it (from a reserve given
        # earlier in the fill) already has more than the rest.
        if given.get(claim.order_id, 0) + extra[claim.order_id] == level < ceiling[claim.order_id]:
            extra[claim.order_id] += 1
            left -= 1
    return extra


def _in_turn(claims: Sequence[Claim], mode: Mode, seed: int | None, class_name: str) -> list:
    if mode == "lottery":
        if seed is None:
            raise ValueError("a lottery needs a seed")
        return draw(claims, seed, class_name)
    return list(claims)


def _from_lots(lots: Sequence[Lot], grants: Sequence[_Grant]) -> list[Allocation]:
    """Turn granted units into units of lots, taking the lots in order of receipt."""
    remaining = [lot.available for lot in lots]
    allocations = []
    index = 0
    for grant in grants:
        wanted = grant.quantity
        while wanted:
            take = min(wanted, remaining[index])
            if take:
                lot = lots[index]
                allocations.append(
                    Allocation(grant.order_id, lot.delivery_id, lot.producer_id, take, grant.rule)
                )
                remaining[index] -= take
                wanted -= take
            if remaining[index] == 0:
                index += 1
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
