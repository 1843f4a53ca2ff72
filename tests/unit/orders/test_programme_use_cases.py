"""A programme's use cases on the fake unit of work: admission, draws and what they publish,
budget given back; and, over random sequences of applications, draws, allocations, hand-overs,
cancels, releases and expiries, the invariants: committed + spent never pass the budget, no
recipient is owed or given more than the programme allows, one live application per NIK, and
an application enters the queue (order.placed) once and only once admitted."""

import asyncio
import re
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.orders import handlers
from services.orders.programmes import applying
from services.orders.programmes import handlers as programmes
from services.orders.programmes.models import NewProgrammeApplication
from services.orders.programmes.rules import Terms, drawn_order
from shared.events import Envelope, LotShare, OrderAllocated, OrderExpired, OrderReleased
from shared.problems import Problem
from tests.support.programmes import citizen
from tests.unit.orders.fake_unit_of_work import FakeUnitOfWork

HUB, SKU, PRICE = "kalteng", "masker-kain", 5000
KEY = b"k" * 32
AT = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
LOT = LotShare(delivery_id=uuid.uuid4(), producer_id=uuid.uuid4(), quantity=1)


def open_programme(uow: FakeUnitOfWork, selection: str, budget: int, per_recipient: int = 2):
    today = uow.programmes.today
    terms = Terms(
        id=uuid.uuid4(),
        hub=HUB,
        name="Masker Gratis",
        budget=budget,
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=1),
        timezone="Asia/Jakarta",
        units_per_recipient=per_recipient,
        regencies=(),
        buyer_types=("individual",),
        selection=selection,
        prices={SKU: PRICE},
    )
    uow.programmes.terms[terms.id] = terms
    return terms


def application(n: int, quantity: int = 1) -> NewProgrammeApplication:
    return NewProgrammeApplication.model_validate(
        {"sku": SKU, "quantity": quantity, "recipient": citizen(n)}
    )


async def apply(uow: FakeUnitOfWork, terms: Terms, n: int, quantity: int = 1):
    command = applying.Apply(terms.id, application(n, quantity), None, None, None, "c", KEY)
    return await applying.apply(uow, command)


def allocated(order_id: uuid.UUID, units: int, total: int, requested: int) -> OrderAllocated:
    return OrderAllocated(
        order_id=order_id,
        sku=SKU,
        quantity=units,
        allocated_total=total,
        requested=requested,
        lots=(LOT,) * units,
        rule="fifo",
        policy_version=1,
        hold_until=AT,
    )


HEARD = {
    "order.allocated": handlers.order_allocated,
    "order.released": handlers.order_released,
    "order.expired": handlers.order_expired,
}


async def hear(uow: FakeUnitOfWork, payload) -> None:
    """The allocator's event, as the consumer hands it to its use case."""
    await HEARD[payload.type](uow, Envelope.wrap(payload, hub=HUB, correlation_id="c"), payload)


def published(uow: FakeUnitOfWork, kind: str) -> list:
    """The payloads of the events of `kind` the use cases published."""
    return [event.read() for event in uow.held + uow.published if event.type == kind]


@pytest.fixture
def uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    uow.catalog.listed(HUB, SKU, uuid.uuid4(), "Masker kain", PRICE)
    return uow


async def test_first_come_admits_in_order_and_budget_returns_on_cancel(uow):
    terms = open_programme(uow, "first_come", budget=2 * PRICE)
    first = await apply(uow, terms, 1, 2)
    waiting = await apply(uow, terms, 2)
    assert (first.status, waiting.status) == ("admitted", "waiting")
    [placed] = published(uow, "order.placed")
    assert placed.programme.programme_id == terms.id
    assert placed.priority_class == "program"

    await handlers.cancel_order(uow, first.order_id, None, "c")

    assert uow.orders.order(waiting.order_id).programme_status == "admitted"
    assert [e.order_id for e in published(uow, "order.placed")][1] == waiting.order_id


async def test_a_lottery_tells_those_not_drawn_and_redraws_when_budget_returns(uow):
    terms = open_programme(uow, "lottery", budget=3 * PRICE, per_recipient=1)
    applied = [await apply(uow, terms, n) for n in range(1, 11)]
    assert all(a.status == "waiting" for a in applied) and not published(uow, "order.placed")

    made = await programmes.run_draw(uow, terms.id, 99, "c")

    tickets = [a.ticket for a in applied]
    assert made["entrant_tickets"] == tickets  # in entry order
    assert made["winner_tickets"] == drawn_order(99, tickets)[:3]
    not_drawn = published(uow, "programme.not_drawn")
    assert len(not_drawn) == 7 and {e.entrants for e in not_drawn} == {10}
    assert {e.ticket for e in not_drawn} == set(tickets) - set(made["winner_tickets"])
    by_ticket = {a.ticket: a for a in applied}
    assert all(e.code == by_ticket[e.ticket].code for e in not_drawn)  # told to them alone
    assert all(e.seed == 99 and e.draw_id == made["id"] for e in not_drawn)
    # What is published names tickets only: no code of any applicant is in the draw.
    assert not {a.code for a in applied} & set(made["entrant_tickets"] + made["winner_tickets"])

    winner = by_ticket[made["winner_tickets"][0]]
    await handlers.cancel_order(uow, winner.order_id, None, "c")

    again = uow.programmes.draws[-1]
    assert again["cause"] == "budget_returned" and len(again["entrant_ids"]) == 7
    assert len(again["winner_ids"]) == 1 and again["seed"] != 99


async def test_each_application_gets_its_own_ticket_unrelated_to_its_code(uow):
    terms = open_programme(uow, "lottery", budget=3 * PRICE, per_recipient=1)
    applied = [await apply(uow, terms, n) for n in range(1, 31)]

    tickets = [a.ticket for a in applied]
    assert len(set(tickets)) == len(tickets)
    assert all(re.fullmatch(r"T-[0-9A-HJKMNP-TV-Z]{6}", ticket) for ticket in tickets)
    for a in applied:
        assert a.code.replace("-", "") not in a.ticket and a.ticket[2:] not in a.code
        assert uow.orders.order(a.order_id).programme_ticket == a.ticket


async def test_a_ticket_taken_in_the_programme_is_drawn_again(uow, monkeypatch):
    terms = open_programme(uow, "lottery", budget=3 * PRICE, per_recipient=1)
    drawn = iter(["T-AAAAAA", "T-AAAAAA", "T-AAAAAA", "T-BBBBBB"])
    monkeypatch.setattr(applying, "new_programme_ticket", lambda: next(drawn))

    first, second = await apply(uow, terms, 1), await apply(uow, terms, 2)

    assert (first.ticket, second.ticket) == ("T-AAAAAA", "T-BBBBBB")


async def test_expired_units_go_back_to_the_budget(uow):
    terms = open_programme(uow, "first_come", budget=2 * PRICE)
    first = await apply(uow, terms, 1, 2)
    second = await apply(uow, terms, 2, 2)
    await hear(uow, allocated(first.order_id, 2, 2, 2))
    gone = OrderExpired(
        order_id=first.order_id, sku=SKU, quantity=2, lots=(LOT, LOT), hold_until=AT
    )

    await hear(uow, gone)
    await programmes.refill_returned(uow, "c")

    assert uow.orders.order(second.order_id).programme_status == "admitted"


async def test_a_recipient_applies_once_and_never_past_the_limit(uow):
    terms = open_programme(uow, "first_come", budget=100 * PRICE, per_recipient=2)
    first = await apply(uow, terms, 1, 2)
    with pytest.raises(Problem) as twice:
        await apply(uow, terms, 1, 1)
    assert twice.value.kind == "already-applied"
    uow.orders.rows[first.order_id].update(allocated=1, fulfilled=1)
    await handlers.cancel_order(uow, first.order_id, None, "c")  # one unit was given
    with pytest.raises(Problem):
        await apply(uow, terms, 1, 2)
    assert (await apply(uow, terms, 1, 1)).status == "admitted"


# The property: random sequences against the invariants.

RECIPIENTS = 6
# Applications come most often, so that budgets run short and applicants wait.
KINDS = ["apply"] * 4 + ["draw", "allocate", "allocate", "fulfil", "cancel", "release", "expire"]
step = st.tuples(st.sampled_from(KINDS), st.integers(0, 60), st.integers(1, 3))


async def play(selection: str, budget: int, per_recipient: int, steps: list) -> None:
    uow = FakeUnitOfWork()
    uow.catalog.listed(HUB, SKU, uuid.uuid4(), "Masker kain", PRICE)
    terms = open_programme(uow, selection, budget * PRICE, per_recipient)
    applied: list[uuid.UUID] = []
    for kind, a, b in steps:
        try:
            await act(uow, terms, applied, kind, a, b)
        except Problem:
            pass  # refused as the API would refuse it: nothing may have changed the invariants
        check(uow, terms)


async def act(uow, terms: Terms, applied: list[uuid.UUID], kind: str, a: int, b: int) -> None:
    if kind == "apply":
        applied.append((await apply(uow, terms, 1 + a % RECIPIENTS, b)).order_id)
        return
    if kind == "draw":
        await programmes.run_draw(uow, terms.id, a, "c")
        return
    if not applied:
        return
    order_id = applied[a % len(applied)]
    row = uow.orders.rows[order_id]
    held = row["allocated"] - row["fulfilled"]
    if kind == "fulfil":
        await handlers.fulfil_order(uow, order_id, "c")
    elif kind == "cancel":
        await handlers.cancel_order(uow, order_id, None, "c")
    elif row["programme_status"] != "admitted" or row["cancelled_at"] is not None:
        return  # the allocator only ever hears of admitted applications
    elif kind == "allocate" and (
        units := min(b, row["quantity"] - row["allocated"] - row["expired"])
    ):
        given = allocated(order_id, units, row["allocated"] + units, row["quantity"])
        await hear(uow, given)
    elif kind == "release" and (units := min(b, held)):
        back = OrderReleased(order_id=order_id, sku=SKU, quantity=units, lots=(LOT,) * units)
        await hear(uow, back)
    elif kind == "expire" and (units := min(b, held)):
        gone = OrderExpired(
            order_id=order_id, sku=SKU, quantity=units, lots=(LOT,) * units, hold_until=AT
        )
        await hear(uow, gone)
        await programmes.refill_returned(uow, "c")


def check(uow: FakeUnitOfWork, terms: Terms) -> None:
    budget = _budget(uow, terms)
    assert 0 <= budget[0] and 0 <= budget[1]
    assert budget[0] + budget[1] <= terms.budget, budget
    rows = uow.programmes.rows_of(terms.id)
    owed: dict[str, int] = defaultdict(int)
    live: Counter[str] = Counter()
    for row in rows:
        recipient = row["programme_recipient"]
        if row["cancelled_at"] is None:
            live[recipient] += 1
            owed[recipient] += row["quantity"]
        else:
            owed[recipient] += min(row["fulfilled"], row["quantity"])
    assert all(count == 1 for count in live.values()), live
    assert all(units <= terms.units_per_recipient for units in owed.values()), owed
    placed = Counter(event.order_id for event in published(uow, "order.placed"))
    for row in rows:
        assert placed[row["id"]] == (1 if row["programme_status"] == "admitted" else 0)


def _budget(uow: FakeUnitOfWork, terms: Terms) -> tuple[int, int]:
    committed = spent = 0
    for row in uow.programmes.rows_of(terms.id):
        if row["programme_status"] == "admitted":
            given = min(row["fulfilled"], row["quantity"])
            spent += given * PRICE
            if row["cancelled_at"] is None:
                committed += max(row["quantity"] - given - row["expired"], 0) * PRICE
    return committed, spent


@settings(max_examples=1000, deadline=None)
@given(
    selection=st.sampled_from(["lottery", "first_come"]),
    budget=st.integers(1, 8),
    per_recipient=st.integers(1, 3),
    steps=st.lists(step, min_size=4, max_size=60),
)
def test_the_budget_and_the_recipients_limits_hold_under_any_sequence(
    selection, budget, per_recipient, steps
):
    asyncio.run(play(selection, budget, per_recipient, steps))
