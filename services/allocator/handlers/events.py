"""The allocator's use cases for the events it consumes, one event each, over a unit of work.

Each says what happens to one hub, delivery or order, and marks the product it touched; the
products are settled (new orders take their places, the queue is filled) once per batch, after
its last event, in `handle_events`. So orders that arrive together are served in queue order,
whatever order their messages came in, and a burst of a thousand orders costs one fill.
"""

from collections.abc import Sequence

from services.allocator.handlers import filling
from services.allocator.handlers.settling import settle
from services.allocator.store import Work
from shared.consumer import Event
from shared.events import (
    Envelope,
    HubRegistered,
    OrderCancelled,
    OrderFulfilled,
    OrderPlaced,
    OrderReleased,
    SupplyReceived,
)


async def register_hub(uow: Work, event: Envelope, hub: HubRegistered) -> None:
    uow.register_hub(event.hub, hub.timezone)


async def receive_supply(uow: Work, event: Envelope, supply: SupplyReceived) -> None:
    """A delivery's accepted units become a lot (the product's fill gives them out)."""
    uow.add_lot(event.hub, supply)
    uow.touch((event.hub, supply.sku), event)


async def place_order(uow: Work, event: Envelope, order: OrderPlaced) -> None:
    """The order joins its product's queue when the product is settled, with the other orders
    of the batch (their places depend on each other)."""
    uow.arrive((event.hub, order.sku), Event(event, order))
    uow.touch((event.hub, order.sku), event)


async def cancel_order(uow: Work, event: Envelope, cancel: OrderCancelled) -> None:
    """A cancelled order leaves the queue; its held units go back to stock for the next in line.
    Units already handed over stay handed over.

    A cancel may overtake its order (on the way here, or within the batch): it is then
    remembered, and the order is never queued.
    """
    uow.touch((event.hub, cancel.sku), event)
    state = await uow.order_state(cancel.order_id)
    if state is None:
        uow.remember_cancel(cancel.order_id, cancel.cancelled_at)
        return
    if state == "cancelled":
        return
    released = await uow.release_held(cancel.order_id)
    uow.cancel(cancel.order_id, released)
    if released:
        payload = OrderReleased(
            order_id=cancel.order_id,
            sku=cancel.sku,
            quantity=sum(a.quantity for a in released),
            lots=filling.shares(released),
        )
        uow.publish(event.follow(payload))


async def fulfil_order(uow: Work, event: Envelope, done: OrderFulfilled) -> None:
    """The units held for the order were handed over: they can no longer expire."""
    uow.fulfil(done.order_id)
    uow.touch((event.hub, done.sku), event)


HANDLERS = {
    "hub.registered": register_hub,
    "supply.received": receive_supply,
    "order.placed": place_order,
    "order.cancelled": cancel_order,
    "order.fulfilled": fulfil_order,
}


async def handle_events(uow: Work, events: Sequence[Event]) -> None:
    """A batch: the locks of every product it names (one sorted order, so replicas never wait
    on each other in a circle), each event's use case in arrival order, then each touched
    product settled once."""
    await uow.lock(
        (event.envelope.hub, event.payload.sku) for event in events if hasattr(event.payload, "sku")
    )
    for event in events:
        await HANDLERS[event.envelope.type](uow, event.envelope, event.payload)
    others = {
        (event.envelope.hub, event.payload.sku)
        for event in events
        if event.envelope.type != "order.placed" and hasattr(event.payload, "sku")
    }
    for product, cause in sorted(uow.touched().items()):
        await settle(uow, product, cause, only_orders=product not in others)
