"""The orders service learns the catalog from intake and allocations from the allocator."""

import asyncpg

from services.orders import store
from shared.consumer import EventHandlers
from shared.events import Envelope, OrderAllocated, OrderReleased, ProductListed


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
    await conn.execute(store.ORDER_ALLOCATED_ADD, given.order_id, given.quantity)


async def on_order_released(
    conn: asyncpg.Connection, _event: Envelope, back: OrderReleased
) -> None:
    await conn.execute(store.ORDER_ALLOCATED_ADD, back.order_id, -back.quantity)


handlers = EventHandlers.each(
    {
        "product.listed": on_product_listed,
        "order.allocated": on_order_allocated,
        "order.released": on_order_released,
    }
)
