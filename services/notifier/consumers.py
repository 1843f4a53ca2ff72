"""Which events call for which messages. Messages are only recorded here, in the event's
transaction; the dispatcher sends them after it commits."""

from collections import defaultdict

import asyncpg

from services.notifier import store
from services.notifier.store import buyer_key, producer_key
from shared.consumer import EventHandlers
from shared.events import (
    Envelope,
    OrderAllocated,
    OrderCancelled,
    OrderPlaced,
    OrderQueued,
    ProducerRegistered,
    ProductListed,
    SupplyReceived,
)


async def on_product_listed(
    conn: asyncpg.Connection, event: Envelope, product: ProductListed
) -> None:
    await conn.execute(store.PRODUCT_UPSERT, event.hub, product.sku, product.name)


async def on_producer_registered(
    conn: asyncpg.Connection, _event: Envelope, producer: ProducerRegistered
) -> None:
    await store.add_recipient(
        conn,
        producer_key(producer.producer_id),
        "producer",
        producer.name,
        producer.email,
        producer.phone,
    )


async def on_order_placed(conn: asyncpg.Connection, _event: Envelope, order: OrderPlaced) -> None:
    buyer = order.buyer
    await store.add_recipient(
        conn, buyer_key(order.order_id), "buyer", buyer.name, buyer.email, buyer.phone
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
    await store.add_message(
        conn,
        event,
        recipient_key=buyer_key(queued.order_id),
        template="order_received",
        params={
            "product": await store.product_name(conn, event.hub, queued.sku),
            "quantity": queued.quantity,
            "position": queued.position,
            "units_ahead": queued.units_ahead,
            "order_id": str(queued.order_id),
        },
        order_id=queued.order_id,
    )


async def on_order_allocated(
    conn: asyncpg.Connection, event: Envelope, given: OrderAllocated
) -> None:
    """The buyer hears what they got; each producer whose units went hears that they sold."""
    product = await store.product_name(conn, event.hub, given.sku)
    await store.add_message(
        conn,
        event,
        recipient_key=buyer_key(given.order_id),
        template="order_allocated",
        params={
            "product": product,
            "quantity": given.quantity,
            "allocated_total": given.allocated_total,
            "requested": given.requested,
            "remaining": given.requested - given.allocated_total,
            "order_id": str(given.order_id),
        },
        order_id=given.order_id,
    )
    sold_by_producer: dict = defaultdict(int)
    for lot in given.lots:
        sold_by_producer[lot.producer_id] += lot.quantity
    for producer_id, quantity in sold_by_producer.items():
        await store.add_message(
            conn,
            event,
            recipient_key=producer_key(producer_id),
            template="units_sold",
            params={"product": product, "quantity": quantity},
            producer_id=producer_id,
        )


async def on_order_cancelled(
    conn: asyncpg.Connection, event: Envelope, cancel: OrderCancelled
) -> None:
    await store.add_message(
        conn,
        event,
        recipient_key=buyer_key(cancel.order_id),
        template="order_cancelled",
        params={
            "product": await store.product_name(conn, event.hub, cancel.sku),
            "order_id": str(cancel.order_id),
        },
        order_id=cancel.order_id,
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
    }
)
