"""A product's outlook (read by `store.outlooks`): the queue's totals per class and the hub's
recent supply, from which an order's place and estimated date follow (see `estimates`).

Nothing here counts a long queue: the totals come from the rows the queue's trigger keeps per
class and hour, and new orders, which join the tail of their class, have only each other behind
them.
"""

import uuid
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from services.allocator.rules import estimates
from services.allocator.rules.domain import Policy
from shared.events import OrderPlaced

Counts = tuple[int, int]  # (orders, units)


@dataclass(frozen=True)
class Outlook:
    totals: dict[str, Counts]  # class -> waiting (orders, units)
    today: date
    supplied_last_week: int
    supplied_today: int

    def estimate(self, units_ahead: int, wanted: int) -> date | None:
        return estimates.estimated_date(
            self.today, units_ahead, wanted, self.supplied_last_week, self.supplied_today
        )


# The last waiting order of a class, (placed_at, sequence); None when the class is empty.
Tail = tuple[datetime, int] | None


@dataclass(frozen=True)
class NewOrdersOutlook:
    """What new orders of a product need to take their places: its policy, its outlook, the
    tail of each of their classes, and the units on hand before they join."""

    policy: Policy
    view: Outlook
    tails: dict[str, Tail]
    on_hand: int


def at_tail(order: OrderPlaced, known: NewOrdersOutlook) -> bool:
    """True when the order joins behind every waiting order of its class, which are then all
    ahead of it; an order that arrives late (placed before some waiting order) is counted the
    long way."""
    tail = known.tails[order.priority_class]
    return tail is None or (order.placed_at, order.sequence) > tail


def places_of_new(
    policy: Policy,
    view: Outlook,
    orders: list[OrderPlaced],
    already: dict[uuid.UUID, Counts],
    joined: set[uuid.UUID],
) -> dict[uuid.UUID, Counts]:
    """(position, units ahead) of each new order once those in `joined` are in the queue: what
    was ahead of it already, and the new orders of its class placed before it."""
    totals = dict(view.totals)
    # Per class, the joined orders in queue order with running unit sums: what is before an
    # order is found by bisection, not by comparing every pair.
    keys: dict[str, list] = defaultdict(list)
    running: dict[str, list[int]] = defaultdict(lambda: [0])
    for order in sorted(orders, key=lambda o: (o.placed_at, o.sequence)):
        if order.order_id in joined:
            keys[order.priority_class].append((order.placed_at, order.sequence))
            running[order.priority_class].append(running[order.priority_class][-1] + order.quantity)
    for name, members in keys.items():
        count, units = totals.get(name, (0, 0))
        totals[name] = (count + len(members), units + running[name][-1])
    places = {}
    for order in orders:
        before = bisect_left(keys[order.priority_class], (order.placed_at, order.sequence))
        count, units = already[order.order_id]
        places[order.order_id] = estimates.place_in_queue(
            policy,
            totals,
            order.priority_class,
            (count + before, units + running[order.priority_class][before]),
        )
    return places
