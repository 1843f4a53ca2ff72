"""Which event each use case takes: one unit of work (`store.unit_of_work.UnitOfWork`) serves a
whole consumed batch and is written once at its end."""

from services.notifier.handlers import directory, orders, producers, programmes
from services.notifier.store.unit_of_work import UnitOfWork
from shared.consumer import EventHandlers

# The use case of each event type the notifier takes.
USE_CASES = {
    "hub.registered": directory.on_hub_registered,
    "product.listed": directory.on_product_listed,
    "producer.registered": directory.on_producer_registered,
    "producer.updated": directory.on_producer_updated,
    "order.placed": directory.on_order_placed,
    "supply.received": producers.on_supply_received,
    "day.summarised": producers.on_day_summarised,
    "order.queued": orders.on_order_queued,
    "order.allocated": orders.on_order_allocated,
    "order.cancelled": orders.on_order_cancelled,
    "order.expired": orders.on_order_expired,
    "order.estimate_moved": orders.on_order_estimate_moved,
    "order.released": orders.on_order_released,
    "programme.not_drawn": programmes.on_programme_not_drawn,
}

handlers = EventHandlers.each_in(UnitOfWork, USE_CASES)
