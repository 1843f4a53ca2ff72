"""Intake's unit of work in dicts and lists, for its use cases without a database: what was
written is there to look at, and `flush` marks it written as the real one's commit would."""

import uuid
from datetime import UTC, datetime

from services.intake.records import Delivery, Hub, Producer, Product, Shortage
from shared.events import Envelope, ProgrammeShare

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta


class FakeHubs:
    def __init__(self) -> None:
        self.rows: dict[str, Hub] = {}

    async def get(self, code: str, *, for_update: bool = False) -> Hub | None:
        return self.rows.get(code)

    def add(self, hub: Hub) -> None:
        self.rows[hub.code] = hub

    update = add


class FakeProducts:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], Product] = {}

    async def exists(self, hub: str, sku: str) -> bool:
        return (hub, sku) in self.rows

    def add(self, product: Product) -> None:
        self.rows[product.hub, product.sku] = product


class FakeProducers:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Producer] = {}

    async def get(self, producer_id: uuid.UUID, *, for_update: bool = False) -> Producer | None:
        return self.rows.get(producer_id)

    async def phones_taken(self, hub: str, phones: list[str]) -> set[str]:
        held = {p.phone for p in self.rows.values() if p.hub == hub}
        return held & set(phones)

    def add(self, producer: Producer) -> None:
        self.rows[producer.id] = producer

    update = add


class FakeDeliveries:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Delivery] = {}
        self.sold: list[tuple[uuid.UUID, uuid.UUID, int, datetime]] = []
        self.programme_orders: dict[uuid.UUID, ProgrammeShare] = {}

    def add(self, delivery: Delivery) -> None:
        self.rows[delivery.id] = delivery

    def paid_by_programme(self, order_id: uuid.UUID, programme: ProgrammeShare) -> None:
        self.programme_orders.setdefault(order_id, programme)

    def add_sold(
        self, delivery_id: uuid.UUID, order_id: uuid.UUID, units: int, at: datetime
    ) -> None:
        self.sold.append((delivery_id, order_id, units, at))

    def sold_from(self, delivery_id: uuid.UUID) -> int:
        """What the lot sold, as the real unit of work adds it to the lot's row."""
        return sum(units for lot, _, units, _ in self.sold if lot == delivery_id)

    def programme_units(self, programme_id: uuid.UUID) -> int:
        """Units sold to the programme's orders (whenever the order became known as its)."""
        return sum(
            units
            for _, order_id, units, _ in self.sold
            if order_id in self.programme_orders
            and self.programme_orders[order_id].programme_id == programme_id
        )


class FakeShortages:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Shortage] = {}

    async def get(self, shortage_id: uuid.UUID) -> Shortage | None:
        return self.rows.get(shortage_id)

    def add(self, shortage: Shortage) -> None:
        self.rows[shortage.id] = shortage

    resolve = add


class FakeUnitOfWork:
    def __init__(self, now: datetime = NOW) -> None:
        self.hubs = FakeHubs()
        self.products = FakeProducts()
        self.producers = FakeProducers()
        self.deliveries = FakeDeliveries()
        self.shortages = FakeShortages()
        self.published: list[Envelope] = []
        self.flushed = False
        self._now = now

    def now(self) -> datetime:
        return self._now

    def publish(self, *events: Envelope) -> None:
        self.published.extend(events)

    async def flush(self) -> None:
        self.flushed = True
