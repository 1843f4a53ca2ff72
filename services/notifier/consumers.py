"""Which events call for which messages. Messages are only recorded here, in the event's
transaction; the dispatcher sends them after it commits. What the notifier learns of hubs,
products and people to tell is kept by `directory`."""

import uuid
from collections import defaultdict
from collections.abc import Iterable

import asyncpg

from services.notifier import store
from services.notifier.dates import estimate_in_words, estimate_moved, in_both, time_in_words
from services.notifier.directory import (
    on_hub_registered,
    on_order_placed,
    on_producer_registered,
    on_product_listed,
)
from services.notifier.store import buyer_key, producer_key
from shared.consumer import EventHandlers
from shared.events import (
    Envelope,
    LotShare,
    OrderAllocated,
    OrderCancelled,
    OrderEstimateMoved,
    OrderExpired,
    OrderQueued,
    SupplyReceived,
)


async def on_supply_received(
    conn: asyncpg.Connection, event: Envelope, supply: SupplyReceived
) -> None:
    await store.add_message(
        conn,
        event,
        recipient_key=producer_key(supply.producer_id),
        template="delivery_recorded",
        params={
            "product": await store.product_name(conn, event.hub, supply.sku),
            "quantity": supply.quantity,
            "accepted": supply.accepted,
            "rejected": supply.rejected,
            "delivery_id": str(supply.delivery_id),
        },
        producer_id=supply.producer_id,
    )


async def on_order_queued(conn: asyncpg.Connection, event: Envelope, queued: OrderQueued) -> None:
    await _tell_buyer(
        conn,
        event,
        queued.order_id,
        template="order_received",
        product=await store.product_name(conn, event.hub, queued.sku),
        quantity=queued.quantity,
        position=queued.position,
        units_ahead=queued.units_ahead,
        **in_both("estimate", estimate_in_words(queued.estimated_date)),
    )


async def on_order_allocated(
    conn: asyncpg.Connection, event: Envelope, given: OrderAllocated
) -> None:
    """The buyer hears what they got and until when it is held; each producer whose units went
    hears that they sold."""
    product = await store.product_name(conn, event.hub, given.sku)
    hold_until = {"hold_until_id": None, "hold_until_en": None}  # lines left out when not held
    if given.hold_until is not None:
        zone = await store.hub_timezone(conn, event.hub)
        hold_until = in_both("hold_until", time_in_words(given.hold_until, zone))
    await _tell_buyer(
        conn,
        event,
        given.order_id,
        template="order_allocated",
        product=product,
        quantity=given.quantity,
        allocated_total=given.allocated_total,
        requested=given.requested,
        remaining=given.requested - given.allocated_total,
        **hold_until,
    )
    await _tell_producers(conn, event, given.lots, template="units_sold", product=product)


async def on_order_expired(conn: asyncpg.Connection, event: Envelope, expiry: OrderExpired) -> None:
    """Units nobody collected went to the next in line: the buyer hears it, and so does each
    producer whose units went back to stock."""
    product = await store.product_name(conn, event.hub, expiry.sku)
    zone = await store.hub_timezone(conn, event.hub)
    await _tell_buyer(
        conn,
        event,
        expiry.order_id,
        template="order_expired",
        product=product,
        quantity=expiry.quantity,
        **in_both("hold_until", time_in_words(expiry.hold_until, zone)),
    )
    await _tell_producers(conn, event, expiry.lots, template="units_returned", product=product)


async def on_order_estimate_moved(
    conn: asyncpg.Connection, event: Envelope, moved: OrderEstimateMoved
) -> None:
    await _tell_buyer(
        conn,
        event,
        moved.order_id,
        template="estimate_moved",
        product=await store.product_name(conn, event.hub, moved.sku),
        position=moved.position,
        units_ahead=moved.units_ahead,
        **in_both("moved", estimate_moved(moved.estimated_date, moved.previous_date)),
        **in_both("estimate", estimate_in_words(moved.estimated_date)),
        **in_both("previous", estimate_in_words(moved.previous_date)),
    )


async def _tell_buyer(
    conn: asyncpg.Connection, event: Envelope, order_id: uuid.UUID, *, template: str, **params
) -> None:
    """One message to the buyer of an order; every one names the order."""
    await store.add_message(
        conn,
        event,
        recipient_key=buyer_key(order_id),
        template=template,
        params={**params, "order_id": str(order_id)},
        order_id=order_id,
    )


async def _tell_producers(
    conn: asyncpg.Connection,
    event: Envelope,
    lots: Iterable[LotShare],
    *,
    template: str,
    product: str,
) -> None:
    """One message to each producer whose lots appear, with the units of theirs."""
    units_by_producer: dict[uuid.UUID, int] = defaultdict(int)
    for lot in lots:
        units_by_producer[lot.producer_id] += lot.quantity
    for producer_id, quantity in units_by_producer.items():
        await store.add_message(
            conn,
            event,
            recipient_key=producer_key(producer_id),
            template=template,
            params={"product": product, "quantity": quantity},
            producer_id=producer_id,
        )


async def on_order_cancelled(
    conn: asyncpg.Connection, event: Envelope, cancel: OrderCancelled
) -> None:
    await _tell_buyer(
        conn,
        event,
        cancel.order_id,
        template="order_cancelled",
        product=await store.product_name(conn, event.hub, cancel.sku),
    )


handlers = EventHandlers.each(
    {
        "product.listed": on_product_listed,
        "producer.registered": on_producer_registered,
        "order.placed": on_order_placed,
        "supply.received": on_supply_received,
        "order.queued": on_order_queued,
        "order.allocated": on_order_allocated,
        "order.cancelled": on_order_cancelled,
        "order.expired": on_order_expired,
        "order.estimate_moved": on_order_estimate_moved,
        "hub.registered": on_hub_registered,
    }
)
