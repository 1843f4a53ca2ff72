"""Intake's use cases on a fake unit of work: no database, milliseconds each."""

import uuid
from datetime import date

import pytest

from services.intake.handlers.hubs import register_hub, update_hub
from services.intake.handlers.imports import RowsProblem, import_producers, lost_rows
from services.intake.handlers.producers import register_producer, update_producer
from services.intake.handlers.sales import units_allocated, units_expired, units_released
from services.intake.handlers.shortages import report_shortage, resolve_shortage
from services.intake.handlers.supply import list_product, record_delivery
from services.intake.models import (
    HubChanges,
    NewDelivery,
    NewHub,
    NewProducer,
    NewProduct,
    NewShortage,
    ProducerChanges,
)
from services.intake.store import Taken
from shared.consumer import Event, EventHandlers
from shared.events import (
    Envelope,
    LotShare,
    OrderAllocated,
    OrderExpired,
    OrderReleased,
    ProgrammeShare,
)
from shared.problems import Problem
from tests.unit.intake.fake_unit_of_work import NOW, FakeUnitOfWork

HUB = "kalteng"
SKU = "masker-kain"
CID = "test"
PRODUCER = uuid.uuid4()


@pytest.fixture
async def uow() -> FakeUnitOfWork:
    """A hub with a product listed, nothing published yet."""
    uow = FakeUnitOfWork()
    await register_hub(uow, NewHub(code=HUB, name="PLUT Kalimantan Tengah"), CID)
    await list_product(uow, NewProduct(hub=HUB, sku=SKU, name="Masker kain", unit_price=5000), CID)
    uow.published.clear()
    return uow


async def a_producer(uow: FakeUnitOfWork, phone: str = "081234567890", name: str = "Ibu Sari"):
    new = NewProducer(hub=HUB, name=name, phone=phone, regency="Kapuas")
    return await register_producer(uow, new, CID)


async def test_a_delivery_with_rejected_units_becomes_a_lot_of_the_accepted_ones(uow):
    producer = await a_producer(uow)
    uow.published.clear()

    new = NewDelivery(hub=HUB, producer_id=producer.id, sku=SKU, quantity=50, rejected=4)
    delivery = await record_delivery(uow, new, CID)

    assert (delivery.accepted, delivery.rejected, delivery.sold) == (46, 4, 0)
    assert uow.deliveries.rows == {delivery.id: delivery}
    [event] = uow.published
    assert event.type == "supply.received" and event.hub == HUB
    assert event.payload["accepted"] == 46 and event.payload["rejected"] == 4
    assert event.payload["delivery_id"] == str(delivery.id)


async def test_a_delivery_of_a_product_not_listed_is_refused_naming_its_sku(uow):
    producer = await a_producer(uow)
    uow.published.clear()

    new = NewDelivery(hub=HUB, producer_id=producer.id, sku="masker-medis", quantity=10)
    with pytest.raises(Problem) as refused:
        await record_delivery(uow, new, CID)

    assert refused.value.status == 422
    assert [e.field for e in refused.value.errors] == ["sku"]
    assert uow.deliveries.rows == {} and uow.published == []


async def test_a_delivery_by_another_hubs_producer_is_refused(uow):
    await register_hub(uow, NewHub(code="kalbar", name="PLUT Kalimantan Barat"), CID)
    stranger = await register_producer(
        uow, NewProducer(hub="kalbar", name="Pak Budi", phone="081299990000", regency="Sambas"), CID
    )

    new = NewDelivery(hub=HUB, producer_id=stranger.id, sku=SKU, quantity=10)
    with pytest.raises(Problem) as refused:
        await record_delivery(uow, new, CID)

    assert [e.field for e in refused.value.errors] == ["producer_id"]


async def test_a_second_producer_with_the_same_phone_is_a_conflict(uow):
    first = await a_producer(uow, "081234567890")

    with pytest.raises(Problem) as refused:
        await a_producer(uow, "+62 812-3456-7890", name="Ibu Lain")

    assert refused.value.status == 409
    assert list(uow.producers.rows) == [first.id]
    assert [e.type for e in uow.published] == ["producer.registered"]


async def test_a_hub_code_is_registered_once(uow):
    with pytest.raises(Problem) as refused:
        await register_hub(uow, NewHub(code=HUB, name="Lagi"), CID)
    assert refused.value.status == 409 and uow.published == []


async def test_a_file_registers_each_row_as_one_registration(uow):
    rows = [
        {"name": f"Penjahit {n}", "phone": f"08125000{n:04d}", "regency": "Kapuas"}
        for n in range(1, 51)
    ]

    registered = await import_producers(uow, HUB, rows, CID)

    assert sorted(registered) == list(range(1, 51))
    assert len(uow.producers.rows) == 50
    assert [e.type for e in uow.published] == ["producer.registered"] * 50
    assert registered[7].phone == "+6281250000007"


async def test_a_file_with_a_taken_phone_registers_nobody_and_names_the_row(uow):
    await a_producer(uow, "081250000002")
    uow.published.clear()
    rows = [
        {"name": "Satu", "phone": "081250000001", "regency": "Kapuas"},
        {"name": "Dua", "phone": "081250000002", "regency": "Kapuas"},
        {"name": "Tiga", "regency": "Kapuas"},
    ]

    with pytest.raises(RowsProblem) as refused:
        await import_producers(uow, HUB, rows, CID)

    assert [(e.row, e.field, e.code) for e in refused.value.rows] == [
        (3, "phone", "missing"),
        (2, "phone", "phone_taken"),
    ]
    assert len(uow.producers.rows) == 1 and uow.published == []


def test_phones_registered_while_a_file_was_imported_are_named_by_their_rows():
    rows = [
        {"name": "Satu", "phone": "081250000001", "regency": "Kapuas"},
        {"name": "Dua", "phone": "0812 5000 0002", "regency": "Kapuas"},
    ]

    problem = lost_rows(rows, Taken("producer", ["+6281250000002"]))

    assert [(e.row, e.code) for e in problem.rows] == [(2, "phone_taken")]


async def test_a_correction_changing_nothing_announces_nothing(uow):
    producer = await a_producer(uow)
    uow.published.clear()

    same = await update_producer(uow, producer.id, ProducerChanges(regency="Kapuas"), CID)

    assert same == producer and uow.published == []


async def test_a_correction_is_announced_with_the_whole_record(uow):
    producer = await a_producer(uow)
    uow.published.clear()

    changed = await update_producer(uow, producer.id, ProducerChanges(regency="Katingan"), CID)

    assert changed.regency == "Katingan" and changed.updated_at == NOW
    assert uow.producers.rows[producer.id] == changed
    [event] = uow.published
    assert event.type == "producer.updated"
    assert event.payload["regency"] == "Katingan" and event.payload["name"] == "Ibu Sari"


async def test_a_correction_to_another_producers_phone_is_refused(uow):
    await a_producer(uow, "081234567890")
    other = await a_producer(uow, "081211112222", name="Ibu Lain")
    uow.published.clear()

    with pytest.raises(Problem) as refused:
        await update_producer(uow, other.id, ProducerChanges(phone="081234567890"), CID)

    assert refused.value.kind == "phone-taken" and uow.published == []


async def test_a_hub_takes_site_orders_only_with_an_address_and_hours(uow):
    with pytest.raises(Problem) as refused:
        await update_hub(uow, HUB, HubChanges(takes_site_orders=True))
    assert refused.value.status == 422

    hours = [{"day": "mon", "opens": "08:00", "closes": "16:00"}]
    changes = HubChanges(address="Jl. Tjilik Riwut 1", opening_hours=hours, takes_site_orders=True)
    hub = await update_hub(uow, HUB, changes)

    assert hub.takes_site_orders and hub.updated_at == NOW
    assert uow.hubs.rows[HUB] == hub and uow.published == []


def shares(*lots: tuple[uuid.UUID, int]) -> tuple[LotShare, ...]:
    return tuple(LotShare(delivery_id=d, producer_id=PRODUCER, quantity=q) for d, q in lots)


def allocated(
    *lots: tuple[uuid.UUID, int],
    order_id: uuid.UUID | None = None,
    programme: ProgrammeShare | None = None,
) -> Event:
    given = shares(*lots)
    total = sum(share.quantity for share in given)
    payload = OrderAllocated(
        order_id=order_id or uuid.uuid4(),
        sku=SKU,
        quantity=total,
        allocated_total=total,
        requested=total,
        lots=given,
        rule="fifo",
        policy_version=0,
        hold_until=None,
        programme=programme,
    )
    return _event(payload)


def released(*lots: tuple[uuid.UUID, int], order_id: uuid.UUID | None = None) -> Event:
    back = shares(*lots)
    total = sum(share.quantity for share in back)
    order_id = order_id or uuid.uuid4()
    return _event(OrderReleased(order_id=order_id, sku=SKU, quantity=total, lots=back))


def expired(*lots: tuple[uuid.UUID, int]) -> Event:
    gone = shares(*lots)
    total = sum(share.quantity for share in gone)
    payload = OrderExpired(
        order_id=uuid.uuid4(), sku=SKU, quantity=total, lots=gone, hold_until=NOW
    )
    return _event(payload)


def _event(payload) -> Event:
    envelope = Envelope.wrap(payload, hub=HUB, correlation_id=CID)
    return Event(envelope.model_copy(update={"occurred_at": NOW}), payload)


async def test_allocation_outcomes_add_to_their_lots_sold_units_on_their_day(uow):
    lot, other = uuid.uuid4(), uuid.uuid4()
    batch = [
        allocated((lot, 3), (other, 2), (lot, 1)),  # a lot named twice counts twice
        released((lot, 1)),
        expired((other, 2)),
    ]
    outcome = {"order.allocated": units_allocated, "order.released": units_released}
    outcome["order.expired"] = units_expired

    for event in batch:
        await outcome[event.envelope.type](uow, event.envelope, event.payload)

    assert (uow.deliveries.sold_from(lot), uow.deliveries.sold_from(other)) == (3, 0)
    orders = [event.payload.order_id for event in batch]
    assert uow.deliveries.sold == [
        (lot, orders[0], 4, NOW),
        (other, orders[0], 2, NOW),
        (lot, orders[1], -1, NOW),
        (other, orders[2], -2, NOW),
    ]
    assert uow.published == [], "sales are kept here, never announced"
    assert uow.deliveries.programme_orders == {}, "no programme paid for these"


async def test_a_programmes_order_makes_its_units_and_their_returns_the_programmes(uow):
    lot, order = uuid.uuid4(), uuid.uuid4()
    share = ProgrammeShare(programme_id=uuid.uuid4(), unit_price=4500)
    batch = [
        released((lot, 1), order_id=order),  # its return overtook it
        allocated((lot, 4), order_id=order, programme=share),
        allocated((lot, 2), order_id=order, programme=share),
        allocated((lot, 5)),  # an ordinary order from the same lot
    ]
    outcome = {"order.allocated": units_allocated, "order.released": units_released}

    for event in batch:
        await outcome[event.envelope.type](uow, event.envelope, event.payload)

    assert uow.deliveries.programme_orders == {order: share}
    assert uow.deliveries.programme_units(share.programme_id) == 5
    assert uow.deliveries.sold_from(lot) == 10


async def test_a_consumed_batch_shares_one_unit_of_work_flushed_once(uow):
    lot = uuid.uuid4()
    handlers = EventHandlers.each_in(lambda conn: uow, {"order.allocated": units_allocated})

    await handlers.handle_batch(None, [allocated((lot, n)) for n in (1, 2, 3)])

    assert uow.flushed and uow.deliveries.sold_from(lot) == 6


async def test_a_shortage_starts_today_at_the_hub_and_never_after(uow):
    producer = await a_producer(uow)

    shortage = await report_shortage(
        uow, producer.id, NewShortage(material=" Karet  Elastis", amount=2.5, unit="kg")
    )
    assert (shortage.material, shortage.amount) == ("karet elastis", 2.5)
    assert shortage.since == date(2026, 11, 28)
    assert shortage.producer_name == "Ibu Sari" and shortage.regency == "Kapuas"

    later = NewShortage(material="kain", amount=1.0, unit="m", since="2026-11-29")
    with pytest.raises(Problem) as refused:
        await report_shortage(uow, producer.id, later)
    assert [e.code for e in refused.value.errors] == ["since_in_future"]


async def test_a_shortage_resolved_twice_keeps_the_first_time(uow):
    producer = await a_producer(uow)
    shortage = await report_shortage(
        uow, producer.id, NewShortage(material="kain", amount=3.0, unit="m")
    )

    first = await resolve_shortage(uow, shortage.id)
    uow._now = NOW.replace(hour=5)
    again = await resolve_shortage(uow, shortage.id)

    assert first.resolved_at == again.resolved_at == NOW
