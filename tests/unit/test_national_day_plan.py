"""The national day's plan (bench/national_day.py) and the day-long fairness rule it is checked
by (tests/support/allocator_invariants.py), without servers."""

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from bench.national_day import BUYERS, Lot, national_day
from bench.provinces import PROVINCES, WIB, WIT, WITA, chosen
from services.allocator.rules.domain import DEFAULT_DAILY_CAP
from tests.support.allocator_invariants import passed_over


def test_38_provinces_each_in_its_zone():
    assert len({p.code for p in PROVINCES}) == len({p.name for p in PROVINCES}) == 38
    zones = Counter(p.timezone for p in PROVINCES)
    assert zones == {WIB: 18, WITA: 12, WIT: 8}
    by_name = {p.name: p.timezone for p in PROVINCES}
    assert by_name["Kalimantan Barat"] == by_name["Kalimantan Tengah"] == WIB
    assert by_name["Kalimantan Selatan"] == by_name["Bali"] == WITA
    assert by_name["Maluku Utara"] == by_name["Papua Pegunungan"] == WIT
    assert [p.name for p in chosen(1)] == ["Jawa Barat"]
    assert {p.timezone for p in chosen(3)} == {WIB, WITA, WIT}
    assert chosen(38) == PROVINCES


def test_the_day_is_the_same_for_the_same_arguments_and_short_of_supply():
    plan = national_day(orders=2_000, hubs=38)
    assert plan == national_day(orders=2_000, hubs=38)
    assert len(plan.orders) == 2_000 and len(plan.producers) == 40
    assert {hub for hub, _, _ in plan.producers} == set(range(38)), "a producer at every hub"
    assert len({order.phone for order in plan.orders}) == 2_000, "a buyer each"
    assert max(order.quantity for order in plan.orders) <= DEFAULT_DAILY_CAP
    assert {order.type for order in plan.orders} <= set(BUYERS)
    # Lots come among the orders, not all before or after them.
    lots = [n for n, event in enumerate(plan.timeline) if isinstance(event, Lot)]
    assert lots[0] < len(plan.timeline) / 4 and lots[-1] > len(plan.timeline) * 3 / 4
    supplied = sum(lot.quantity - lot.rejected for lot in plan.lots)
    demand = sum(order.quantity for order in plan.orders)
    assert supplied < demand and sum(plan.expected().values()) == supplied


T0 = datetime(2026, 12, 5, 1, tzinfo=UTC)


def _order(n: int, **fields) -> dict:
    return {
        "hub": "h",
        "sku": "s",
        "priority_class": "public",
        "order_id": uuid.UUID(int=n),
        "placed_at": T0 + timedelta(seconds=n),
        "sequence": n,
        **fields,
    }


def _served(n: int, fill: int) -> dict:
    return _order(n, allocated_at=T0 + timedelta(minutes=fill))


def _short(n: int, queued_minute: float, cap=100, taken=None) -> dict:
    return _order(n, queued_at=T0 + timedelta(minutes=queued_minute), cap=cap, taken=taken)


def test_a_later_order_served_while_an_earlier_waits_is_passed_over():
    served = [_served(1, fill=1), _served(3, fill=2)]
    # Order 2 was queued before the second fill and is left short: 3 went before it.
    assert passed_over(served, [_short(2, queued_minute=1.5)]) == [
        (str(uuid.UUID(int=2)), str(uuid.UUID(int=3)))
    ]
    # Not if it came to the allocator after that fill, nor if its buyer was at the cap.
    assert passed_over(served, [_short(2, queued_minute=2.5)]) == []
    assert passed_over(served, [_short(2, queued_minute=1.5, taken=100)]) == []
    # Nor for an order of another class, or one placed after all those served.
    assert passed_over(served, [_short(2, 1.5) | {"priority_class": "health"}]) == []
    assert passed_over(served, [_short(4, queued_minute=0)]) == []
