"""The allocator's outcomes, as units sold from each lot, for the producers' view and their
payouts. Held units nobody collected went back to their lots (expired): they are no longer
sold, from the day they went back; the day they sold keeps its sale. Each event only adds to
(or takes from) its lots' counts, on its own day, so neither the order events come in nor how
many share a batch changes what one adds. Units of an order a programme pays for are the
programme's sales (paid at its price), whichever of the order's events comes first."""

import uuid

from services.intake.domain import units_by_lot
from services.intake.handlers import UnitOfWork
from shared.events import Envelope, OrderAllocated, OrderExpired, OrderReleased


async def units_allocated(uow: UnitOfWork, event: Envelope, allocated: OrderAllocated) -> None:
    if allocated.programme is not None:
        uow.deliveries.paid_by_programme(allocated.order_id, allocated.programme)
    _count(uow, event, allocated.order_id, units_by_lot(allocated.lots, +1))


async def units_released(uow: UnitOfWork, event: Envelope, released: OrderReleased) -> None:
    _count(uow, event, released.order_id, units_by_lot(released.lots, -1))


async def units_expired(uow: UnitOfWork, event: Envelope, expired: OrderExpired) -> None:
    _count(uow, event, expired.order_id, units_by_lot(expired.lots, -1))


def _count(uow: UnitOfWork, event: Envelope, order_id: uuid.UUID, units: dict) -> None:
    for delivery_id, sold in units.items():
        uow.deliveries.add_sold(delivery_id, order_id, sold, event.occurred_at)
