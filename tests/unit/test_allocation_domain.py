"""First come, first served allocation: worked examples, then the invariants of DESIGN.md."""

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from services.allocator.domain import (
    Allocation,
    Claim,
    Lot,
    Policy,
    allocate,
    total_by_lot,
    total_by_order,
)


def allocate_fifo(lots, claims):
    """The default policy: one class, first come first served, no cap."""
    return allocate(lots, {"public": claims}, Policy()).allocations


# Readable, stable ids for the worked examples.
TAILOR_SITI = uuid.UUID(int=0x51)
TAILOR_BUDI = uuid.UUID(int=0xB0)
LOT_MONDAY = uuid.UUID(int=0x101)
LOT_TUESDAY = uuid.UUID(int=0x102)
ORDER_BANK = uuid.UUID(int=0x201)
ORDER_AGENCY = uuid.UUID(int=0x202)
ORDER_CITIZEN = uuid.UUID(int=0x203)


def new_order(requested: int, allocated: int = 0) -> Claim:
    return Claim(uuid.uuid4(), requested, allocated)


def new_lot(available: int, producer_id: uuid.UUID | None = None) -> Lot:
    return Lot(uuid.uuid4(), producer_id or uuid.uuid4(), available)


# --- worked examples ------------------------------------------------------------------------


def test_three_orders_two_lots_who_gets_what_from_where():
    """Orders of 30, 40 and 50 wait; Siti's lot of 45 then Budi's lot of 50 arrive.

    The bank (first) takes 30 from Siti's lot; the agency (second) takes Siti's last 15 and 25
    from Budi's; the citizen (third) gets Budi's remaining 25 and waits for 25 more.
    """
    lots = [Lot(LOT_MONDAY, TAILOR_SITI, 45), Lot(LOT_TUESDAY, TAILOR_BUDI, 50)]
    queue = [
        Claim(ORDER_BANK, 30, 0),
        Claim(ORDER_AGENCY, 40, 0),
        Claim(ORDER_CITIZEN, 50, 0),
    ]

    assert allocate_fifo(lots, queue) == [
        Allocation(ORDER_BANK, LOT_MONDAY, TAILOR_SITI, 30),
        Allocation(ORDER_AGENCY, LOT_MONDAY, TAILOR_SITI, 15),
        Allocation(ORDER_AGENCY, LOT_TUESDAY, TAILOR_BUDI, 25),
        Allocation(ORDER_CITIZEN, LOT_TUESDAY, TAILOR_BUDI, 25),
    ]


def test_totals_per_order_and_per_lot_of_the_worked_example():
    lots = [Lot(LOT_MONDAY, TAILOR_SITI, 45), Lot(LOT_TUESDAY, TAILOR_BUDI, 50)]
    queue = [Claim(ORDER_BANK, 30, 0), Claim(ORDER_AGENCY, 40, 0), Claim(ORDER_CITIZEN, 50, 0)]

    allocations = allocate_fifo(lots, queue)

    assert total_by_order(allocations) == {ORDER_BANK: 30, ORDER_AGENCY: 40, ORDER_CITIZEN: 25}
    assert total_by_lot(allocations) == {LOT_MONDAY: 45, LOT_TUESDAY: 50}


def test_last_order_served_is_partly_filled_and_later_orders_get_nothing():
    lots = [Lot(LOT_MONDAY, TAILOR_SITI, 50)]
    queue = [Claim(ORDER_BANK, 30, 0), Claim(ORDER_AGENCY, 40, 0), Claim(ORDER_CITIZEN, 10, 0)]

    totals = total_by_order(allocate_fifo(lots, queue))

    assert totals == {ORDER_BANK: 30, ORDER_AGENCY: 20}
    assert ORDER_CITIZEN not in totals


def test_an_order_partly_filled_before_only_takes_what_it_still_wants():
    lots = [Lot(LOT_MONDAY, TAILOR_SITI, 100)]
    queue = [Claim(ORDER_AGENCY, 40, 25), Claim(ORDER_CITIZEN, 10, 0)]

    assert total_by_order(allocate_fifo(lots, queue)) == {ORDER_AGENCY: 15, ORDER_CITIZEN: 10}


def test_a_fully_allocated_order_still_in_the_queue_is_passed_over():
    lots = [Lot(LOT_MONDAY, TAILOR_SITI, 10)]
    queue = [Claim(ORDER_BANK, 30, 30), Claim(ORDER_CITIZEN, 10, 0)]

    assert allocate_fifo(lots, queue) == [Allocation(ORDER_CITIZEN, LOT_MONDAY, TAILOR_SITI, 10)]


def test_lots_are_used_in_order_of_receipt_not_by_size():
    small_first = Lot(LOT_MONDAY, TAILOR_SITI, 5)
    large_later = Lot(LOT_TUESDAY, TAILOR_BUDI, 500)

    allocations = allocate_fifo([small_first, large_later], [Claim(ORDER_BANK, 8, 0)])

    assert [(a.delivery_id, a.quantity) for a in allocations] == [(LOT_MONDAY, 5), (LOT_TUESDAY, 3)]


def test_an_empty_lot_is_skipped():
    lots = [Lot(LOT_MONDAY, TAILOR_SITI, 0), Lot(LOT_TUESDAY, TAILOR_BUDI, 7)]

    assert allocate_fifo(lots, [Claim(ORDER_BANK, 10, 0)]) == [
        Allocation(ORDER_BANK, LOT_TUESDAY, TAILOR_BUDI, 7)
    ]


def test_no_lots_give_nothing():
    assert allocate_fifo([], [new_order(30), new_order(40)]) == []


def test_lots_with_nothing_left_give_nothing():
    assert allocate_fifo([new_lot(0), new_lot(0)], [new_order(30)]) == []


def test_an_empty_queue_takes_nothing():
    assert allocate_fifo([new_lot(45), new_lot(50)], []) == []


def test_totals_of_no_allocations_are_empty():
    assert total_by_order([]) == {}
    assert total_by_lot([]) == {}


# --- properties -----------------------------------------------------------------------------

# Plain integers drawn, ids made afresh: cheap to generate, and no two lots or orders share an id.
# Three tailors deliver all the lots, so most of them deliver more than one.
TAILORS = [uuid.uuid4() for _ in range(3)]
lots_strategy = st.lists(
    st.tuples(st.sampled_from(TAILORS), st.integers(min_value=0, max_value=60)), max_size=8
).map(lambda drawn: [new_lot(available, producer) for producer, available in drawn])

# Waiting orders as (requested, allocated so far); some partly, or (oddly) fully, allocated.
claims_strategy = st.lists(
    st.tuples(st.integers(min_value=1, max_value=80), st.integers(min_value=0, max_value=80)),
    max_size=10,
).map(lambda pairs: [new_order(requested, min(done, requested)) for requested, done in pairs])

PROPERTY_SETTINGS = settings(max_examples=250, deadline=None)


@PROPERTY_SETTINGS
@given(lots=lots_strategy, claims=claims_strategy)
def test_a_lot_never_gives_more_than_it_has(lots, claims):
    per_lot = total_by_lot(allocate_fifo(lots, claims))

    for lot in lots:
        assert per_lot.get(lot.delivery_id, 0) <= lot.available


@PROPERTY_SETTINGS
@given(lots=lots_strategy, claims=claims_strategy)
def test_an_order_never_gets_more_than_it_still_wants(lots, claims):
    per_order = total_by_order(allocate_fifo(lots, claims))

    for claim in claims:
        assert per_order.get(claim.order_id, 0) <= claim.wanted


@PROPERTY_SETTINGS
@given(lots=lots_strategy, claims=claims_strategy)
def test_no_stock_sits_idle_while_an_order_waits(lots, claims):
    allocated = sum(a.quantity for a in allocate_fifo(lots, claims))

    available = sum(lot.available for lot in lots)
    wanted = sum(claim.wanted for claim in claims)
    assert allocated == min(available, wanted)


@PROPERTY_SETTINGS
@given(lots=lots_strategy, claims=claims_strategy)
def test_no_later_order_is_served_while_an_earlier_one_is_short(lots, claims):
    per_order = total_by_order(allocate_fifo(lots, claims))

    for position, claim in enumerate(claims):
        if per_order.get(claim.order_id, 0) < claim.wanted:
            later = claims[position + 1 :]
            assert all(per_order.get(c.order_id, 0) == 0 for c in later)


@PROPERTY_SETTINGS
@given(lots=lots_strategy, claims=claims_strategy)
def test_every_allocation_traces_back_to_its_lot_and_producer(lots, claims):
    producer_of = {lot.delivery_id: lot.producer_id for lot in lots}

    for allocation in allocate_fifo(lots, claims):
        assert allocation.delivery_id in producer_of
        assert allocation.producer_id == producer_of[allocation.delivery_id]


@PROPERTY_SETTINGS
@given(lots=lots_strategy, claims=claims_strategy)
def test_allocations_are_in_queue_order_from_lots_in_receipt_order_each_of_a_unit_or_more(
    lots, claims
):
    queue_position = {claim.order_id: position for position, claim in enumerate(claims)}
    receipt_position = {lot.delivery_id: position for position, lot in enumerate(lots)}
    allocations = allocate_fifo(lots, claims)

    served = [queue_position[a.order_id] for a in allocations]
    assert served == sorted(served)
    for claim in claims:
        positions = [
            receipt_position[a.delivery_id] for a in allocations if a.order_id == claim.order_id
        ]
        # Strictly increasing: one order takes from a lot in one allocation, never two.
        assert positions == sorted(set(positions))
    assert all(allocation.quantity >= 1 for allocation in allocations)
