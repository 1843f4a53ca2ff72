"""Where new orders stand and when they should be served: the arithmetic, without a database."""

import uuid
from datetime import UTC, date, datetime, timedelta

from services.allocator.rules.domain import Policy
from services.allocator.rules.estimates import estimated_date, place_in_queue
from services.allocator.rules.outlook import Outlook, places_of_new
from shared.events import Buyer, OrderPlaced
from shared.order_codes import new_order_code, shown

TODAY = date(2026, 11, 28)
MORNING = datetime(2026, 11, 28, 1, tzinfo=UTC)


def order(quantity: int, minute: int, priority_class: str = "public") -> OrderPlaced:
    return OrderPlaced(
        code=shown(new_order_code()),
        order_id=uuid.uuid4(),
        sku="masker-kain",
        quantity=quantity,
        placed_at=MORNING + timedelta(minutes=minute),
        sequence=minute + 1,
        buyer=Buyer(name="Bu Rina", type="individual", region="Sampit"),
        buyer_key=uuid.uuid4().hex,
        priority_class=priority_class,
        accept_partial=True,
    )


def test_new_orders_stand_behind_the_queue_and_each_other_and_behind_higher_classes():
    # Waiting already: 3 public orders (40 units) and 1 health order (10 units).
    view = Outlook({"public": (3, 40), "health": (1, 10)}, TODAY, 70, 0)
    first, second, clinic = order(5, 1), order(7, 2), order(4, 3, "health")
    orders = [second, clinic, first]  # arrival order does not matter; placement does
    already = {o.order_id: view.totals[o.priority_class] for o in orders}

    places = places_of_new(Policy(), view, orders, already, joined={o.order_id for o in orders})

    # health: the waiting clinic order, then ours. public: all health (10 + 4 units), the 3
    # waiting public orders, then ours in the order they were placed.
    assert places[clinic.order_id] == (2, 10)
    assert places[first.order_id] == (2 + 3 + 1, 14 + 40)
    assert places[second.order_id] == (2 + 3 + 2, 14 + 40 + 5)


def test_an_order_that_did_not_join_is_ahead_of_nobody():
    view = Outlook({}, TODAY, 0, 0)
    first, second = order(5, 1), order(7, 2)
    already = {first.order_id: (0, 0), second.order_id: (0, 0)}

    places = places_of_new(Policy(), view, [first, second], already, joined={second.order_id})

    assert places[second.order_id] == (1, 0)


def test_place_counts_every_class_served_first_then_those_ahead_in_its_own():
    totals = {"public": (10, 100), "agency": (2, 30), "health": (1, 5)}

    assert place_in_queue(Policy(), totals, "public", (4, 20)) == (1 + 3 + 4, 35 + 20)
    assert place_in_queue(Policy(), totals, "health", (0, 0)) == (1, 0)
    # A class the policy does not name comes after all it names.
    assert place_in_queue(Policy(), totals, "volunteers", (0, 0)) == (14, 135)


def test_the_estimate_follows_the_last_weeks_daily_supply():
    # 70 a week is 10 a day; nothing came today yet, so today's 10 are still to come.
    assert (
        estimated_date(TODAY, units_ahead=0, wanted=10, supplied_last_week=70, supplied_today=0)
        == TODAY
    )
    assert estimated_date(TODAY, 5, 10, 70, 0) == TODAY + timedelta(days=1)
    # Today's usual supply already came: the next units come tomorrow.
    assert estimated_date(TODAY, 0, 10, 70, 10) == TODAY + timedelta(days=1)
    assert estimated_date(TODAY, 95, 10, 70, 0) == TODAY + timedelta(days=10)


def test_no_supply_in_the_last_week_gives_no_estimate():
    assert estimated_date(TODAY, 0, 1, supplied_last_week=0, supplied_today=0) is None
