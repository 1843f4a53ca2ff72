"""Where a waiting order stands and when it should be served: pure arithmetic over the
queue's totals and the hub's recent supply."""

import math
from collections.abc import Mapping
from datetime import date, timedelta

from services.allocator.rules.domain import Policy

SUPPLY_WINDOW_DAYS = 7


def estimated_date(
    today: date, units_ahead: int, wanted: int, supplied_last_week: int, supplied_today: int
) -> date | None:
    """The day the order's last unit should come, if supply goes on as in the last week.

    Today's supply still to come is what a usual day brings beyond what already came; None
    when there was no supply at all to go by.
    """
    daily = supplied_last_week / SUPPLY_WINDOW_DAYS
    if daily <= 0:
        return None
    needed = units_ahead + wanted
    still_today = max(daily - supplied_today, 0)
    if needed <= still_today:
        return today
    return today + timedelta(days=math.ceil((needed - still_today) / daily))


def place_in_queue(
    policy: Policy,
    totals: Mapping[str, tuple[int, int]],
    priority_class: str,
    ahead_in_class: tuple[int, int],
) -> tuple[int, int]:
    """(position, units ahead): every waiting order of the classes served before this one,
    and those ahead of it in its own class. `totals` and `ahead_in_class` are (orders, units).
    """
    order = policy.class_order([*totals, priority_class])
    before = order[: order.index(priority_class)]
    orders = sum(totals.get(name, (0, 0))[0] for name in before) + ahead_in_class[0]
    units = sum(totals.get(name, (0, 0))[1] for name in before) + ahead_in_class[1]
    return orders + 1, units
