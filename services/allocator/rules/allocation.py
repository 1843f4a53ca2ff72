"""The allocation rules, as pure functions over plain data: no I/O, tested by the hundred.

One fill gives the units on hand (`lots`, in order of receipt) to the waiting orders of one
product under the product's `Policy`:

1. Reserves first: each class with a `reserve_percent` may take that share of every lot on hand
   (each rounded down) before anyone else. A share its class does not want stays in the pool at
   once (work-conserving), and the class may take more in its turn below. Counted per lot, a
   reserve is the same whether the deliveries of a day are filled one by one or several at once
   (as a batch of events, or after a restart).
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
from collections.abc import Iterable, Mapping, Sequence

from services.allocator.rules.domain import Allocation, Claim, Fill, Lot, Mode, Policy
from services.allocator.rules.serving import Budget, ClassServing, Grant


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
    budget = Budget(policy.per_buyer_daily_cap, taken_today or {})
    order = policy.class_order(queue)  # an empty head may be a class not read yet
    serving = {
        name: ClassServing(name, _in_turn(queue.get(name, ()), policy.mode, seed, name), budget)
        for name in order
    }
    truncated = set(truncated)
    needs_more: set[str] = set()
    left = units

    for name in order:
        reserved = min(reserve(lots, policy.reserve_of(name)), left)
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


def reserve(lots: Sequence[Lot], percent: int) -> int:
    """A class's reserved units in one fill: `percent` of each lot, each rounded down."""
    return sum(lot.available * percent // 100 for lot in lots) if percent else 0


def draw(claims: Sequence[Claim], seed: int, class_name: str) -> list[Claim]:
    """The lottery's order of service: a shuffle of the entrants (in queue order) seeded by
    the published seed and the class, so the same inputs always draw the same."""
    drawn = list(claims)
    random.Random(f"{seed}:{class_name}").shuffle(drawn)
    return drawn


def _in_turn(claims: Sequence[Claim], mode: Mode, seed: int | None, class_name: str) -> list:
    if mode == "lottery":
        if seed is None:
            raise ValueError("a lottery needs a seed")
        return draw(claims, seed, class_name)
    return list(claims)


def _from_lots(lots: Sequence[Lot], grants: Sequence[Grant]) -> list[Allocation]:
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
