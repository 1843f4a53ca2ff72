"""Intake keeps each lot's sold units, and its sales per day, from the allocator's outcomes:
one unit of work for a consumed batch, so the whole batch adds up in one statement."""

from services.intake.handlers.sales import units_allocated, units_expired, units_released
from services.intake.store.unit_of_work import UnitOfWork
from shared.consumer import EventHandlers

handlers = EventHandlers.each_in(
    UnitOfWork,
    {
        "order.allocated": units_allocated,
        "order.released": units_released,
        "order.expired": units_expired,
    },
)
