"""The orders service learns the catalog from intake, and from the allocator what each order
was given, what it gave back and what expired uncollected (handlers.py). A consumed batch is
one unit of work, flushed once: the allocator's events come in hundreds, mostly one per order,
and a statement per run of them, not two per event, keeps this consumer's cost per order small.
"""

import uuid

from services.orders import handlers as use_cases
from services.orders.programmes.handlers import refill_returned
from services.orders.series.handlers import hub_registered
from services.orders.store.unit_of_work import UnitOfWork
from shared.consumer import EventHandlers


class ConsumedBatch(UnitOfWork):
    """A batch's unit of work: before it is written, the programmes whose admitted
    applications forfeited units (order.expired) give them to those who wait, once each."""

    async def flush(self) -> None:
        await refill_returned(self, str(uuid.uuid4()))
        await super().flush()


handlers = EventHandlers.each_in(
    ConsumedBatch,
    {
        "hub.registered": hub_registered,
        "product.listed": use_cases.product_listed,
        "order.allocated": use_cases.order_allocated,
        "order.released": use_cases.order_released,
        "order.expired": use_cases.order_expired,
    },
)
