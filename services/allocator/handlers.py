"""The allocator's use cases, a batch of events at a time, inside the consumer's transaction.

A batch first takes the lock of every product it touches (in one sorted order), applies every
change (new lots, new orders, cancels, fulfilments), and only then fills each product's queue
once. Orders that arrive together are therefore served in queue order, whatever order their
messages came in, and a burst of a thousand orders costs one fill, not a thousand.
"""

from collections import defaultdict
from collections.abc import Sequence

import asyncpg

from services.allocator import filling, outlook, policies, store
from services.allocator.policies import PolicyRules
from shared import outbox
from shared.consumer import Event
from shared.events import (
    Envelope,
    HubRegistered,
    OrderCancelled,
    OrderFulfilled,
    OrderPlaced,
    OrderQueued,
    OrderReleased,
    SupplyReceived,
)

Product = tuple[str, str]


async def handle_batch(conn: asyncpg.Connection, events: Sequence[Event]) -> None:
    by_type: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        by_type[event.envelope.type].append(event)
    # The event that last touched each product is the cause named by what the fill publishes.
    causes: dict[Product, Envelope] = {}
    for event in events:
        if hasattr(event.payload, "sku"):
            causes[(event.envelope.hub, event.payload.sku)] = event.envelope
    await store.lock_products(conn, causes)

    for event in by_type["hub.registered"]:
        await register_hub(conn, event.envelope, event.payload)
    for event in by_type["supply.received"]:
        await receive_supply(conn, event.envelope, event.payload)
    # What the new orders and the fills announce, stored together at the end: one round trip.
    news: list[Envelope] = []
    placed: dict[Product, list[Event]] = defaultdict(list)
    for event in by_type["order.placed"]:
        placed[(event.envelope.hub, event.payload.sku)].append(event)
    for (hub, sku), orders in placed.items():
        news.extend(await enqueue_orders(conn, hub, sku, orders))
    for event in by_type["order.cancelled"]:
        await cancel_order(conn, event.envelope, event.payload)
    for event in by_type["order.fulfilled"]:
        await fulfil_order(conn, event.envelope, event.payload)

    for (hub, sku), cause in sorted(causes.items()):
        await filling.fill(conn, hub, sku, cause.follow, news)
    await outbox.add(conn, *news)


async def register_hub(conn: asyncpg.Connection, event: Envelope, hub: HubRegistered) -> None:
    await conn.execute(store.HUB_UPSERT, event.hub, hub.timezone)


async def receive_supply(conn: asyncpg.Connection, event: Envelope, supply: SupplyReceived) -> None:
    """A delivery's accepted units join the stock (the fill then gives them out)."""
    await conn.execute(
        store.LOT_INSERT,
        supply.delivery_id,
        event.hub,
        supply.sku,
        supply.producer_id,
        supply.accepted,
        supply.received_at,
    )


async def enqueue_orders(
    conn: asyncpg.Connection, hub: str, sku: str, events: list[Event]
) -> list[Envelope]:
    """Orders take their places in the queue; answers the order.queued that tell each buyer
    where and until when, for the caller to store.

    An order whose cancel overtook it on the way here is stored as cancelled, never queued.
    """
    first_of_each = {event.payload.order_id: event for event in reversed(events)}
    events = [event for event in events if first_of_each[event.payload.order_id] is event]
    orders: list[OrderPlaced] = [event.payload for event in events]
    known = await outlook.for_new_orders(conn, hub, sku, {o.priority_class for o in orders})
    policy, view = known.policy, known.view
    already = await outlook.already_ahead(conn, hub, sku, orders, known)
    everyone = {order.order_id for order in orders}
    places = outlook.places_of_new(policy, view, orders, already, joined=everyone)
    told = {o.order_id: view.estimate(places[o.order_id][1], o.quantity) for o in orders}
    rows = await conn.fetch(
        store.ORDERS_INSERT,
        hub,
        sku,
        [o.order_id for o in orders],
        [o.quantity for o in orders],
        [o.placed_at for o in orders],
        [o.sequence for o in orders],
        [o.buyer_key for o in orders],
        [o.priority_class for o in orders],
        [o.accept_partial for o in orders],
        [told[o.order_id] for o in orders],
    )
    queued = {row["order_id"] for row in rows if row["state"] == "waiting"}
    if queued != everyone:  # a duplicate or a cancelled order is not ahead of anyone after all
        places = outlook.places_of_new(policy, view, orders, already, joined=queued)
        moved = {}
        for order in orders:
            estimated = view.estimate(places[order.order_id][1], order.quantity)
            if order.order_id in queued and estimated != told[order.order_id]:
                moved[order.order_id] = told[order.order_id] = estimated
        if moved:
            await conn.execute(store.ESTIMATES_TOLD, list(moved), list(moved.values()))
    news = []
    for event in events:
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
        news.append(event.envelope.follow(queued_event))
    return news


async def cancel_order(conn: asyncpg.Connection, event: Envelope, cancel: OrderCancelled) -> None:
    """A cancelled order leaves the queue; its held units go back to stock for the next in line.
    Units already handed over stay handed over.

    A cancel may overtake its order on the way here: it is then remembered, and the order is
    never queued.
    """
    order = await conn.fetchrow(store.ORDER_BY_ID, cancel.order_id)
    if order is None:
        await conn.execute(store.EARLY_CANCELLATION_INSERT, cancel.order_id, cancel.cancelled_at)
        return
    if order["state"] == "cancelled":
        return
    released = await store.end_held(conn, cancel.order_id, "released")
    quantity = sum(a.quantity for a in released)
    await store.return_to_lots(conn, released)
    await conn.execute(store.ORDER_CANCEL, cancel.order_id, quantity)
    if released:
        payload = OrderReleased(
            order_id=cancel.order_id,
            sku=cancel.sku,
            quantity=quantity,
            lots=filling.shares(released),
        )
        await outbox.add(conn, event.follow(payload))


async def fulfil_order(conn: asyncpg.Connection, _event: Envelope, done: OrderFulfilled) -> None:
    """The units held for the order were handed over: they can no longer expire."""
    await store.end_held(conn, done.order_id, "fulfilled")


async def set_policy(
    conn: asyncpg.Connection, hub: str, sku: str, rules: PolicyRules, emit: filling.Emit
) -> None:
    """A new version of the product's policy, in force at once: stock waiting for orders it
    now makes eligible is given out under it; units already allocated stay where they are."""
    await store.lock_products(conn, [(hub, sku)])
    await policies.add_version(conn, hub, sku, rules)
    await filling.fill(conn, hub, sku, emit)
