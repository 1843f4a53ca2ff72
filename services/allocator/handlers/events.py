"""The allocator's use cases for the events it consumes, one event each, over a unit of work.

Each says what happens to one hub, delivery or order, and marks the product it touched. A
batch (`handle_events`) takes its products' locks, applies its hubs, deliveries and new
orders, lets the new orders take their places, then applies its cancels and fulfilments (so a
cancel finds its order when both came in the batch), and fills each product once. Orders that
arrive together are served in queue order, whatever order their messages came in, and a burst
of a thousand orders costs one fill.
"""

from collections.abc import Sequence

from services.allocator.handlers import filling
from services.allocator.handlers.settling import join_queue, settle
from services.allocator.store import Product, Work
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
    uow.touch((event.hub, supply.sku))


async def place_order(uow: Work, event: Envelope, order: OrderPlaced) -> None:
    """The order joins its product's queue with the other new orders of the batch, once they
    all came (their places depend on each other: `settling.join_queue`)."""
    uow.arrive((event.hub, order.sku), Event(event, order))
    uow.touch((event.hub, order.sku))


async def cancel_order(uow: Work, event: Envelope, cancel: OrderCancelled) -> None:
    """A cancelled order leaves the queue; its held units go back to stock for the next in line.
    Units already handed over stay handed over.

    A cancel may overtake its order on the way here: it is then remembered, and the order is
    never queued. (Within a batch the new orders join first: a cancel finds its order.)
    """
    uow.touch((event.hub, cancel.sku))
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
    uow.touch((event.hub, done.sku))


# Applied once the batch's new orders have joined their queues, cancels first.
AFTER_JOINING = ("order.cancelled", "order.fulfilled")

HANDLERS = {
    "hub.registered": register_hub,
    "supply.received": receive_supply,
    "order.placed": place_order,
    "order.cancelled": cancel_order,
    "order.fulfilled": fulfil_order,
}


async def handle_events(uow: Work, events: Sequence[Event]) -> None:
    """A batch: the locks of every product it names (one sorted order, so replicas never wait
    on each other in a circle); the hubs, deliveries and new orders in arrival order; the new
    orders' places; the cancels, then the fulfilments; each touched product filled once, its
    announcements naming as their cause the batch's last event about it."""
    last_about = {_product(e): e.envelope for e in events if hasattr(e.payload, "sku")}
    await uow.lock(last_about)
    for event in events:
        if event.envelope.type not in AFTER_JOINING:
            await HANDLERS[event.envelope.type](uow, event.envelope, event.payload)
    queued = {
        product: await join_queue(uow, *product, uow.take_arrivals(product))
        for product in sorted(uow.touched())
    }
    for kind in AFTER_JOINING:
        for event in events:
            if event.envelope.type == kind:
                await HANDLERS[kind](uow, event.envelope, event.payload)
    # Where only new orders came, the units on hand before they joined say if a fill can give.
    stock_may_move = {
        _product(e)
        for e in events
        if e.envelope.type != "order.placed" and hasattr(e.payload, "sku")
    }
    # An order cancelled in its own batch is never announced as queued, as when its cancel
    # overtook it (a consumer's linger puts both in one batch more often than before).
    cancelled_here = {e.payload.order_id for e in events if e.envelope.type == "order.cancelled"}
    for product in sorted(uow.touched()):
        news, on_hand = queued.get(product, ({}, None))
        news = {order: n for order, n in news.items() if order not in cancelled_here}
        only_orders = product not in stock_may_move
        await settle(uow, product, last_about[product], news, on_hand, only_orders=only_orders)


def _product(event: Event) -> Product:
    return event.envelope.hub, event.payload.sku
