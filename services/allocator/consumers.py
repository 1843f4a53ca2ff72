"""Which event runs which of the allocator's use cases."""

from services.allocator.handlers import cancel_order, enqueue_order, receive_supply
from shared.consumer import EventHandlers

handlers = EventHandlers.each(
    {
        "supply.received": receive_supply,
        "order.placed": enqueue_order,
        "order.cancelled": cancel_order,
    }
)
