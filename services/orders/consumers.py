"""The orders service learns the catalog from intake, and from the allocator what each order
was given, what it gave back and what expired uncollected."""

import asyncpg

from services.orders import store
from shared.consumer import EventHandlers
from shared.events import Envelope, OrderAllocated, OrderExpired, OrderReleased, ProductListed


async def on_product_listed(
    conn: asyncpg.Connection, event: Envelope, product: ProductListed
) -> None:
    await conn.execute(
        store.CATALOG_UPSERT,
        event.hub,
        product.sku,
        product.product_id,
        product.name,
        product.unit_price,
    )


async def on_order_allocated(
    conn: asyncpg.Connection, _event: Envelope, given: OrderAllocated
) -> None:
    await conn.execute(store.ORDER_ALLOCATED, given.order_id, given.quantity, given.hold_until)


async def on_order_released(
    conn: asyncpg.Connection, _event: Envelope, back: OrderReleased
) -> None:
    await conn.execute(store.ORDER_RELEASED, back.order_id, back.quantity)


async def on_order_expired(conn: asyncpg.Connection, _event: Envelope, gone: OrderExpired) -> None:
    await conn.execute(store.ORDER_EXPIRED, gone.order_id, gone.quantity)


handlers = EventHandlers.each(
    {
        "product.listed": on_product_listed,
        "order.allocated": on_order_allocated,
        "order.released": on_order_released,
        "order.expired": on_order_expired,
    }
)
