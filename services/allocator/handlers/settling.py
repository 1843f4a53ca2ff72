"""A product after a batch of events touched it: the orders that arrived take their places in
its queue (`join_queue`); once the batch's cancels are applied, the queue is filled from its
stock (`settle`), and each new order's buyer hears where it stands, unless the fill served it
in full at once (then order.allocated alone tells them: one message, not "queued" and
"allocated" a moment apart).

A batch of nothing but new orders for a product with no units on hand has nothing to fill, and
does not try: the common case while a queue waits for supply costs a round trip less."""

import uuid
from datetime import date

from services.allocator.handlers import filling
from services.allocator.rules import outlook
from services.allocator.store import Product, Work
from shared.consumer import Event
from shared.events import Envelope, OrderPlaced, OrderQueued


async def settle(
    uow: Work,
    product: Product,
    cause: Envelope,
    queued: dict[uuid.UUID, Envelope],
    on_hand: int | None,
    *,
    only_orders: bool,
) -> None:
    """Fill the product's queue and publish what its joining orders (`queued`, with the units
    `on_hand` before they joined, from `join_queue`) and the fill announce. `only_orders`:
    nothing but new orders touched the product in this unit of work."""
    hub, sku = product
    if only_orders and on_hand == 0:
        uow.publish(*queued.values())
        return
    filled = await filling.fill(uow, hub, sku, cause.follow)
    # Queued before allocated, in the outbox's order, for an order served only in part.
    uow.publish(*(news for order, news in queued.items() if order not in filled.completed))
    uow.publish(*filled.announcements)


async def join_queue(
    uow: Work, hub: str, sku: str, arrivals: list[Event]
) -> tuple[dict[uuid.UUID, Envelope], int | None]:
    """Orders take their places in the queue; answers the order.queued that tell each buyer
    where and until when (by order), for the caller to publish, and the units on hand before
    they joined (None when no order arrived: not read).

    An order whose cancel overtook it is stored as cancelled, never queued; an order that
    arrived twice joins once.
    """
    if not arrivals:
        return {}, None
    first_of_each = {event.payload.order_id: event for event in reversed(arrivals)}
    arrivals = [event for event in arrivals if first_of_each[event.payload.order_id] is event]
    orders: list[OrderPlaced] = [event.payload for event in arrivals]
    known = await uow.new_orders_outlook(hub, sku, {o.priority_class for o in orders})
    policy, view = known.policy, known.view
    already = {
        order.order_id: (
            view.totals.get(order.priority_class, (0, 0))
            if outlook.at_tail(order, known)
            else await uow.counted_ahead(hub, sku, order)
        )
        for order in orders
    }
    everyone = {order.order_id for order in orders}
    places = outlook.places_of_new(policy, view, orders, already, joined=everyone)
    told: dict[uuid.UUID, date | None] = {
        o.order_id: view.estimate(places[o.order_id][1], o.quantity) for o in orders
    }
    queued = await uow.join(hub, sku, orders, told)
    if queued != everyone:  # a duplicate or a cancelled order is not ahead of anyone after all
        places = outlook.places_of_new(policy, view, orders, already, joined=queued)
        moved = {}
        for order in orders:
            estimated = view.estimate(places[order.order_id][1], order.quantity)
            if order.order_id in queued and estimated != told[order.order_id]:
                moved[order.order_id] = told[order.order_id] = estimated
        uow.tell_estimates(moved)
    news = {}
    for event in arrivals:
        order: OrderPlaced = event.payload
        if order.order_id not in queued:
            continue
        position, units_ahead = places[order.order_id]
        queued_event = OrderQueued(
            order_id=order.order_id,
            sku=sku,
            quantity=order.quantity,
            priority_class=order.priority_class,
            position=position,
            units_ahead=units_ahead,
            estimated_date=told[order.order_id],
        )
        news[order.order_id] = event.envelope.follow(queued_event)
    return news, known.on_hand
