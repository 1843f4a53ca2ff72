"""The allocator takes its events a batch at a time: see `handlers.handle_batch`."""

from services.allocator.handlers import handle_batch
from shared.consumer import EventHandlers

handlers = EventHandlers(
    frozenset(
        {"hub.registered", "supply.received", "order.placed", "order.cancelled", "order.fulfilled"}
    ),
    handle_batch,
)
