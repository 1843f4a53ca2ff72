"""The orders service's use cases on a fake unit of work: no database, milliseconds each."""

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from services.orders import handlers
from services.orders.domain import PlaceOrder
from services.orders.models import NewOrder
from shared.events import LotShare, OrderAllocated, OrderExpired, OrderReleased, ProductListed
from shared.problems import Problem
from tests.unit.orders.fake_unit_of_work import FakeUnitOfWork

HUB, SKU = "kalteng", "masker-kain"
BUYER = {"name": "Ibu Sari", "type": "health_facility", "region": "Palangka Raya"}
PARTNER = uuid.uuid4()
AT = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
LOTS = (LotShare(delivery_id=uuid.uuid4(), producer_id=uuid.uuid4(), quantity=2),)


def command(key: str | None = "k1", request_hash: str = "h1", **changes) -> PlaceOrder:
    new = NewOrder.model_validate(
        {"hub": HUB, "sku": SKU, "quantity": 3, "buyer": BUYER, **changes}
    )
    return PlaceOrder(new, PARTNER, "corr-1", str(PARTNER), key, request_hash)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    uow.catalog.listed(HUB, SKU, uuid.uuid4(), "Masker kain", 5000)
    return uow


async def placed(uow: FakeUnitOfWork, **changes) -> uuid.UUID:
    answer = await handlers.place_order(uow, command(key=None, **changes))
    return uuid.UUID(answer.body.split('"id":"')[1][:36])


async def test_placing_an_order_stores_it_announces_it_and_keeps_its_answer(uow):
    answer = await handlers.place_order(uow, command())
    await uow.flush()

    assert answer.status == 201 and not answer.replayed
    (order_id,) = uow.orders.rows
    [event] = uow.published
    assert event.type == "order.placed" and event.hub == HUB
    assert event.correlation_id == "corr-1"
    assert event.payload["order_id"] == str(order_id)
    assert event.payload["priority_class"] == "health"  # the buyer's type gives the class
    assert uow.history.of(order_id) == [
        ("placed", 3, {"priority_class": "health", "accept_partial": True, "partner_id": PARTNER})
    ]
    assert uow.keys.stored[str(PARTNER), "k1"] == ("h1", 201, answer.body)


async def test_an_operator_may_name_the_class(uow):
    order_id = await placed(uow, priority_class="public")

    assert uow.orders.rows[order_id]["priority_class"] == "public"


async def test_an_unknown_product_is_refused_and_nothing_is_written(uow):
    with pytest.raises(Problem) as refused:
        await handlers.place_order(uow, command(sku="topi"))
    await uow.flush()

    assert refused.value.status == 422 and refused.value.errors[0].field == "sku"
    assert not uow.orders.rows and not uow.published and not uow.keys.stored


async def test_an_unknown_hub_is_named_as_the_hub(uow):
    with pytest.raises(Problem) as refused:
        await handlers.place_order(uow, command(hub="kalsel"))

    assert refused.value.errors[0].field == "hub"


async def test_a_retry_with_its_key_gets_the_first_answer_back_and_places_nothing(uow):
    first = await handlers.place_order(uow, command())
    uow.keys.claimed.clear()  # the first request's transaction ended

    again = await handlers.place_order(uow, command())

    assert again.replayed and (again.status, again.body) == (first.status, first.body)
    assert len(uow.orders.rows) == 1 and len(uow.held) == 1


async def test_a_key_used_for_another_request_is_refused(uow):
    await handlers.place_order(uow, command())
    uow.keys.claimed.clear()

    with pytest.raises(Problem) as refused:
        await handlers.place_order(uow, command(request_hash="h2"))

    assert refused.value.kind == "idempotency-key-reused"


async def test_a_key_claimed_twice_in_one_unit_is_in_flight_for_the_second(uow):
    outcomes = await asyncio.gather(
        handlers.place_order(uow, command()),
        handlers.place_order(uow, command()),
        return_exceptions=True,
    )

    assert outcomes[0].status == 201
    assert isinstance(outcomes[1], Problem) and outcomes[1].status == 409
    assert len(uow.orders.rows) == 1


async def test_cancelling_announces_it_once(uow):
    order_id = await placed(uow)

    cancelled = await handlers.cancel_order(uow, order_id, PARTNER, "corr-2")
    again = await handlers.cancel_order(uow, order_id, PARTNER, "corr-3")

    assert cancelled.status == again.status == "cancelled"
    assert [event.type for event in uow.held] == ["order.placed", "order.cancelled"]
    assert uow.history.of(order_id)[-1] == (
        "cancelled",
        None,
        {"by": "partner", "partner_id": PARTNER},
    )


async def test_another_partners_order_is_not_found(uow):
    order_id = await placed(uow)

    with pytest.raises(Problem) as refused:
        await handlers.cancel_order(uow, order_id, uuid.uuid4(), "corr-2")

    assert refused.value.status == 404


async def test_an_order_handed_over_whole_cannot_be_cancelled(uow):
    order_id = await placed(uow)
    await allocate(uow, order_id, 3)
    await handlers.fulfil_order(uow, order_id, "corr-2")

    with pytest.raises(Problem) as refused:
        await handlers.cancel_order(uow, order_id, None, "corr-3")

    assert refused.value.kind == "order-fulfilled"


async def test_fulfilling_hands_over_what_is_held(uow):
    order_id = await placed(uow)
    await allocate(uow, order_id, 2)

    order = await handlers.fulfil_order(uow, order_id, "corr-2")

    assert (order.allocated, order.fulfilled) == (2, 2)
    fulfilled = uow.held[-1]
    assert fulfilled.type == "order.fulfilled"
    assert (fulfilled.payload["quantity"], fulfilled.payload["fulfilled_total"]) == (2, 2)
    assert uow.history.of(order_id)[-1] == ("fulfilled", 2, {"fulfilled_total": 2})


async def test_nothing_held_or_a_cancelled_order_cannot_be_handed_over(uow):
    order_id = await placed(uow)
    with pytest.raises(Problem) as nothing:
        await handlers.fulfil_order(uow, order_id, "corr-2")
    await handlers.cancel_order(uow, order_id, None, "corr-3")
    with pytest.raises(Problem) as cancelled:
        await handlers.fulfil_order(uow, order_id, "corr-4")

    assert nothing.value.kind == "nothing-to-fulfil"
    assert cancelled.value.kind == "order-cancelled"


async def allocate(uow: FakeUnitOfWork, order_id: uuid.UUID, units: int) -> None:
    given = OrderAllocated(
        order_id=order_id,
        sku=SKU,
        quantity=units,
        allocated_total=units,
        requested=3,
        lots=LOTS,
        rule="fifo",
        policy_version=1,
        hold_until=AT,
    )
    await handlers.order_allocated(uow, envelope(given), given)


def envelope(payload):
    from shared.events import Envelope

    return Envelope.wrap(payload, hub=HUB, correlation_id="allocator")


async def test_an_allocation_counts_and_goes_into_the_history(uow):
    order_id = await placed(uow)

    await allocate(uow, order_id, 2)

    row = uow.orders.rows[order_id]
    assert (row["allocated"], row["hold_until"]) == (2, AT)
    kind, units, detail = uow.history.of(order_id)[-1]
    assert (kind, units, detail["rule"], detail["allocated_total"]) == ("allocated", 2, "fifo", 2)
    assert detail["lots"][0]["quantity"] == 2


async def test_released_and_expired_units_leave_the_order(uow):
    order_id = await placed(uow)
    await allocate(uow, order_id, 3)
    back = OrderReleased(order_id=order_id, sku=SKU, quantity=1, lots=LOTS)
    gone = OrderExpired(order_id=order_id, sku=SKU, quantity=2, lots=LOTS, hold_until=AT)

    await handlers.order_released(uow, envelope(back), back)
    await handlers.order_expired(uow, envelope(gone), gone)

    row = uow.orders.rows[order_id]
    assert (row["allocated"], row["expired"]) == (0, 2)
    assert [entry[:2] for entry in uow.history.of(order_id)[-2:]] == [
        ("released", 1),
        ("expired", 2),
    ]


async def test_an_outcome_for_an_order_never_placed_here_changes_nothing(uow):
    stranger = uuid.uuid4()
    await allocate(uow, stranger, 1)

    assert not uow.orders.rows and not uow.history.entries


async def test_a_listed_product_can_be_ordered(uow):
    listed = ProductListed(product_id=uuid.uuid4(), sku="topi", name="Topi", unit_price=9000)

    await handlers.product_listed(uow, envelope(listed), listed)
    answer = await handlers.place_order(uow, command(key=None, sku="topi"))

    assert answer.status == 201
