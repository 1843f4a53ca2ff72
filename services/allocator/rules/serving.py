"""Serving one class during one fill: who takes how many of the units offered to it, under
the policy's mode and the buyers' daily cap (see `allocation.allocate`, which calls it)."""

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from services.allocator.rules.domain import Claim, Mode, Skip


@dataclass(frozen=True)
class Grant:
    order_id: uuid.UUID
    quantity: int
    rule: str


class Budget:
    """What each buyer may still take today; unlimited when there is no cap."""

    def __init__(self, cap: int | None, taken_today: Mapping[str, int]) -> None:
        self.cap = cap
        self.taken = defaultdict(int, taken_today)

    def room(self, buyer: str) -> int | None:
        return None if self.cap is None else max(self.cap - self.taken[buyer], 0)

    def take(self, buyer: str, units: int) -> None:
        self.taken[buyer] += units


class ClassServing:
    """One class's orders during one fill: what each has been given, and why some were not."""

    def __init__(self, name: str, claims: list[Claim], budget: Budget) -> None:
        self.name = name
        self.claims = claims
        self.budget = budget
        self.given: dict[uuid.UUID, int] = defaultdict(int)
        self.grants: list[Grant] = []
        self._granted: dict[uuid.UUID, int] = {}  # order -> index of its grant in `grants`
        self.skips: dict[uuid.UUID, Skip] = {}
        self.reached = False  # whether any units came this class's way

    def serve(self, units: int, mode: Mode, prefix: str) -> int:
        """Give up to `units` to this class's orders; the grants' rule is `prefix` + `mode`.

        An order given units in the reserve and again in the main phase of one fill gets one
        grant, named by the reserve it was served from first: one announcement, so one message
        to the buyer and one line of explanation, not two for a single delivery."""
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
            earlier = self._granted.get(claim.order_id)
            if earlier is None:
                self._granted[claim.order_id] = len(self.grants)
                self.grants.append(Grant(claim.order_id, quantity, rule))
            else:
                grant = self.grants[earlier]
                self.grants[earlier] = replace(grant, quantity=grant.quantity + quantity)
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
            extra, level = water_fill(candidates, rooms, self.given, units)
            too_small = [
                c
                for c in candidates
                if not c.accept_partial and extra.get(c.order_id, 0) < rooms[c.order_id]
            ]
            if too_small:
                # Out go the whole orders the level cannot reach even with a spare unit; if
                # none, the last of them in the queue (spare units go in queue order).
                hopeless = [
                    c for c in too_small if self.given[c.order_id] + rooms[c.order_id] > level + 1
                ]
                leaving = hopeless or too_small[-1:]
                gone = {claim.order_id for claim in leaving}
                candidates = [c for c in candidates if c.order_id not in gone]
                for claim in leaving:
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


def water_fill(
    claims: Sequence[Claim],
    rooms: Mapping[uuid.UUID, int],
    given: Mapping[uuid.UUID, int],
    units: int,
) -> tuple[dict[uuid.UUID, int], int]:
    """Split `units` so that the lowest level (units given in this fill) rises first; whole
    units that do not divide evenly go one each to the first in queue order. Answers each
    order's extra units and the level reached."""
    if not claims:
        return {}, 0
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
    return extra, level
