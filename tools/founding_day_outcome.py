"""Who gets what on the founding day under a policy, per buyer type: played through the
allocator's pure rules (`tools.founding_day.in_queue_order`), no services needed.

    python -m tools.founding_day_outcome                 # the old default, then the default
    python -m tools.founding_day_outcome --cap 200 --public-reserve 50 --seed 7

The old default is strict class order with no reserve and no cap, as before issue 18.
"""

import argparse
from dataclasses import dataclass

from services.allocator.rules.domain import ClassShare, Policy
from shared.events import CLASS_OF_BUYER_TYPE
from tools.founding_day import Scenario, founding_day, in_queue_order

STRICT_CLASS_ORDER = Policy(
    per_buyer_daily_cap=None, classes=tuple(ClassShare(s.name) for s in Policy().classes)
)


@dataclass
class TypeOutcome:
    buyers: int = 0
    served: int = 0  # got at least one unit
    in_full: int = 0
    ordered: int = 0
    got: int = 0


def by_buyer_type(scenario: Scenario, policy: Policy) -> dict[str, TypeOutcome]:
    """Per buyer type, in the order the types first appear in the scenario."""
    outcomes: dict[str, TypeOutcome] = {}
    for buyer, got in zip(scenario.buyers, in_queue_order(scenario, policy), strict=True):
        outcome = outcomes.setdefault(buyer.type, TypeOutcome())
        outcome.buyers += 1
        outcome.served += got > 0
        outcome.in_full += got == buyer.quantity
        outcome.ordered += buyer.quantity
        outcome.got += got
    return outcomes


def describe(policy: Policy) -> str:
    order = " > ".join(
        s.name + (f" ({s.reserve_percent}% reserved)" if s.reserve_percent else "")
        for s in policy.classes
    )
    cap = policy.per_buyer_daily_cap
    return f"{policy.mode}, {order}, " + (f"cap {cap} a buyer a day" if cap else "no cap")


def table(scenario: Scenario, policy: Policy) -> str:
    outcomes = by_buyer_type(scenario, policy)
    given = sum(o.got for o in outcomes.values())
    lines = [
        describe(policy),
        f"{'type':<16}{'class':<8}{'buyers':>7}{'served':>7}{'in full':>8}{'nothing':>8}"
        f"{'ordered':>8}{'got':>6}{'of units':>9}",
    ]
    for kind, o in outcomes.items():
        lines.append(
            f"{kind:<16}{CLASS_OF_BUYER_TYPE[kind]:<8}{o.buyers:>7}{o.served:>7}{o.in_full:>8}"
            f"{o.buyers - o.served:>8}{o.ordered:>8}{o.got:>6}{o.got / max(given, 1):>9.0%}"
        )
    buyers = sum(o.buyers for o in outcomes.values())
    served = sum(o.served for o in outcomes.values())
    lines.append(
        f"{'all':<16}{'':<8}{buyers:>7}{served:>7}"
        f"{sum(o.in_full for o in outcomes.values()):>8}{buyers - served:>8}"
        f"{scenario.demand:>8}{given:>6}   of {scenario.accepted_total} accepted"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=2020, help="the founding day's seed")
    parser.add_argument("--cap", type=int, help="a per-buyer daily cap instead of the default's")
    parser.add_argument(
        "--public-reserve", type=int, help="the public's reserve (%%) instead of the default's"
    )
    args = parser.parse_args()
    scenario = founding_day(args.seed)
    policy = Policy()
    if args.cap is not None:
        policy = Policy(per_buyer_daily_cap=args.cap or None, classes=policy.classes)
    if args.public_reserve is not None:
        classes = tuple(
            ClassShare(s.name, args.public_reserve if s.name == "public" else s.reserve_percent)
            for s in policy.classes
        )
        policy = Policy(per_buyer_daily_cap=policy.per_buyer_daily_cap, classes=classes)
    print(f"Founding day, seed {args.seed}\n")
    print("Before:", table(scenario, STRICT_CLASS_ORDER), sep=" ")
    print()
    print("Now:" if policy == Policy() else "Tried:", table(scenario, policy))


if __name__ == "__main__":
    main()
