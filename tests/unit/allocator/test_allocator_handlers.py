"""The allocator's use cases on a fake unit of work: what happens to one order, one delivery,
one cancel, one hold that ran out; no database, milliseconds each."""

import uuid
from datetime import date

from services.allocator.handlers import day_close
from services.allocator.handlers.events import handle_events
from services.allocator.handlers.expiry import expire_due
from services.allocator.handlers.policy import set_policy
from services.allocator.rules.policies import PolicyRules
from shared.consumer import Event
from shared.events import Envelope, ProgrammeShare
from tests.support.events import SKU, cancelled, fulfilled, order_id, placed, placed_v4, supply
from tests.unit.allocator.fake_unit_of_work import FakeUnitOfWork

HUB = "unit-kalteng"


async def consume(uow: FakeUnitOfWork, *envelopes: Envelope) -> None:
    await handle_events(uow, [Event(e, e.read()) for e in envelopes])


def published(uow: FakeUnitOfWork, order: Envelope | None = None) -> list[str]:
    """The types published, for one order if given, in the order they were published."""
    return [
        e.type
        for e in uow.published
        if order is None or str(getattr(e.read(), "order_id", "")) == order_id(order)
    ]


def clock(uow: FakeUnitOfWork) -> None:
    """What the service's clock does for the product: expire what is due, and refill."""

    def emit(payload):
        return Envelope.wrap(payload, hub=HUB, correlation_id="unit-clock")

    return expire_due(uow, HUB, SKU, emit)


async def test_an_order_with_no_stock_joins_the_queue_and_its_buyer_hears_where():
    uow = FakeUnitOfWork()
    order = placed(HUB, 5)
    await consume(uow, order)
    [queued] = uow.published
    assert queued.type == "order.queued" and queued.causation_id == order.id
    assert queued.read().position == 1 and queued.read().units_ahead == 0
    assert uow.orders[queued.read().order_id].state == "waiting"


async def test_new_orders_with_no_units_on_hand_are_not_filled():
    uow = FakeUnitOfWork()
    await consume(uow, placed(HUB, 5), placed(HUB, 3, minutes=1))
    assert uow.fills_started == []  # nothing to give: not even looked at
    await consume(uow, supply(HUB, 4))
    assert uow.fills_started == [(HUB, SKU)]


async def test_a_delivery_fills_the_waiting_orders_in_queue_order():
    uow = FakeUnitOfWork()
    first, second = placed(HUB, 4), placed(HUB, 4, minutes=1)
    await consume(uow, first, second)
    lot = supply(HUB, 6)
    await consume(uow, lot)
    given = [e.read() for e in uow.published if e.type == "order.allocated"]
    assert [(str(g.order_id), g.quantity) for g in given] == [
        (order_id(first), 4),
        (order_id(second), 2),
    ]
    assert all(e.causation_id == lot.id for e in uow.published if e.type == "order.allocated")
    assert uow.lots[lot.read().delivery_id].allocated == 6


async def test_an_order_served_in_full_at_once_is_announced_once_as_allocated():
    uow = FakeUnitOfWork()
    await consume(uow, supply(HUB, 10))
    order = placed(HUB, 3)
    await consume(uow, order)
    assert published(uow, order) == ["order.allocated"]


async def test_an_order_served_in_part_at_once_hears_queued_then_allocated():
    uow = FakeUnitOfWork()
    await consume(uow, supply(HUB, 2))
    order = placed(HUB, 5)
    await consume(uow, order)
    assert published(uow, order) == ["order.queued", "order.allocated"]


async def test_a_batch_fills_each_product_once_after_all_its_events():
    uow = FakeUnitOfWork()
    orders = [placed(HUB, 1, minutes=n) for n in range(50)]
    await consume(uow, *orders[:25], supply(HUB, 30), *orders[25:])
    assert uow.fills_started == [(HUB, SKU)]
    assert uow.locks == [(HUB, SKU)]
    # Served in queue order whatever order the messages came in: 30 units for the first 30.
    served = {str(e.read().order_id) for e in uow.published if e.type == "order.allocated"}
    assert served == {order_id(o) for o in orders[:30]}
    assert published(uow).count("order.queued") == 20


async def test_a_cancel_gives_the_held_units_to_the_next_in_line():
    uow = FakeUnitOfWork()
    first, second = placed(HUB, 5), placed(HUB, 5, minutes=1)
    await consume(uow, first, second)
    await consume(uow, supply(HUB, 5))
    await consume(uow, cancelled(first))
    assert published(uow, first) == ["order.queued", "order.allocated", "order.released"]
    assert published(uow, second) == ["order.queued", "order.allocated"]
    assert uow.orders[first.read().order_id].state == "cancelled"
    assert uow.orders[second.read().order_id].state == "filled"


async def test_a_cancel_that_overtakes_its_order_keeps_it_out_of_the_queue():
    uow = FakeUnitOfWork()
    order = placed(HUB, 5)
    await consume(uow, cancelled(order))
    await consume(uow, order, supply(HUB, 5))
    assert uow.orders[order.read().order_id].state == "cancelled"
    assert published(uow) == []


async def test_a_cancel_in_the_batch_of_its_order_finds_it_whichever_came_first():
    uow = FakeUnitOfWork()
    first, second = placed(HUB, 5), placed(HUB, 5, minutes=1)
    await consume(uow, cancelled(second), first, second, cancelled(first), supply(HUB, 5))
    assert {o.state for o in uow.orders.values()} == {"cancelled"}
    assert uow.early_cancels == {}  # each cancel found its order, joined just before
    assert "order.allocated" not in published(uow)


async def test_an_order_cancelled_in_its_own_batch_is_never_announced():
    for batch in (["cancel", "order"], ["order", "cancel"]):
        uow = FakeUnitOfWork()
        order = placed(HUB, 20)
        events = {"cancel": cancelled(order), "order": order}
        await consume(uow, *(events[name] for name in batch), supply(HUB, 10))
        assert published(uow) == [], batch
        assert uow.orders[order.read().order_id].state == "cancelled"


async def test_a_hold_that_runs_out_goes_to_the_next_in_line():
    uow = FakeUnitOfWork()
    first, second = placed(HUB, 5), placed(HUB, 5, minutes=1)
    await consume(uow, first, second, supply(HUB, 5))
    uow.make_due()
    assert await clock(uow) == 1
    assert published(uow, first)[-1] == "order.expired"
    assert published(uow, second)[-1] == "order.allocated"
    assert uow.orders[first.read().order_id].forfeited == 5


async def test_units_handed_over_never_expire():
    uow = FakeUnitOfWork()
    order = placed(HUB, 5)
    await consume(uow, order, supply(HUB, 5))
    await consume(uow, fulfilled(order, 5))
    uow.make_due()
    assert await clock(uow) == 0


async def test_a_new_policy_gives_out_stock_it_makes_eligible():
    uow = FakeUnitOfWork()

    def emit(payload):
        return Envelope.wrap(payload, hub=HUB, correlation_id="unit-policy")

    await set_policy(uow, HUB, SKU, PolicyRules(per_buyer_daily_cap=5), emit)
    order = placed(HUB, 10)
    await consume(uow, order, supply(HUB, 20))
    mine = uow.orders[order.read().order_id]
    assert (mine.state, mine.allocated, uow.skips[mine.order.order_id]) == (
        "waiting",
        5,
        "daily_cap",
    )

    await set_policy(uow, HUB, SKU, PolicyRules(per_buyer_daily_cap=None), emit)
    assert (mine.state, mine.allocated) == ("filled", 10)
    assert published(uow, order)[-1] == "order.allocated"


async def test_every_allocation_of_a_programmes_order_says_the_programme_pays():
    uow = FakeUnitOfWork()
    share = ProgrammeShare(programme_id=uuid.uuid4(), unit_price=4500)
    paid, ordinary = placed(HUB, 6, programme=share, priority_class="program"), placed(HUB, 2)
    await consume(uow, paid, ordinary, supply(HUB, 4))
    uow.make_due()
    await clock(uow)  # the held units expire and go to the programme's order again
    await consume(uow, supply(HUB, 4))
    given = [e.read() for e in uow.published if e.type == "order.allocated"]
    mine = [g for g in given if str(g.order_id) == order_id(paid)]
    assert len(mine) >= 2 and {g.programme for g in mine} == {share}
    assert {g.programme for g in given if str(g.order_id) == order_id(ordinary)} == {None}


async def test_an_order_placed_before_programmes_is_allocated_as_before():
    uow = FakeUnitOfWork()
    old = placed_v4(HUB, 3)
    await consume(uow, old, supply(HUB, 3))
    [given] = [e.read() for e in uow.published if e.type == "order.allocated"]
    assert (given.quantity, given.programme) == (3, None)


def clock_emit(payload):
    return Envelope.wrap(payload, hub=HUB, correlation_id="unit-day-close")


async def test_a_day_is_summarised_once_however_many_allocators_try():
    uow = FakeUnitOfWork()
    await consume(uow, placed(HUB, 30), supply(HUB, 20))
    today = date.today()
    summary = await day_close.summarise(uow, HUB, SKU, today, clock_emit)
    again = await day_close.summarise(uow, HUB, SKU, today, clock_emit)
    assert again is None and (summary.received, summary.allocated) == (20, 20)
    assert published(uow).count("day.summarised") == 1


async def test_a_buyer_hears_when_the_estimated_date_moves_and_only_then():
    uow = FakeUnitOfWork()
    order = placed(HUB, 100)
    await consume(uow, order)
    assert uow.published[0].read().estimated_date is None  # no supply yet to go by
    await consume(uow, supply(HUB, 14))

    assert await day_close.retell_estimates(uow, HUB, SKU, clock_emit) == 1
    assert await day_close.retell_estimates(uow, HUB, SKU, clock_emit) == 0
    (moved,) = [e.read() for e in uow.published if e.type == "order.estimate_moved"]
    assert moved.previous_date is None and moved.estimated_date is not None
    assert uow.orders[moved.order_id].estimated_date == moved.estimated_date
