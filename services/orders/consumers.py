"""The orders service learns the catalog from intake, and from the allocator what each order
was given, what it gave back and what expired uncollected: each in the order's history too."""

import asyncpg

from services.orders import history, store
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
    conn: asyncpg.Connection, event: Envelope, given: OrderAllocated
) -> None:
    await conn.execute(store.ORDER_ALLOCATED, given.order_id, given.quantity, given.hold_until)
    await history.add_if_known(
        conn,
        given.order_id,
        event.occurred_at,
        "allocated",
        given.quantity,
        rule=given.rule,
        lots=history.lots(given.lots),
        hold_until=given.hold_until,
        allocated_total=given.allocated_total,
        policy_version=given.policy_version,
    )


async def on_order_released(conn: asyncpg.Connection, event: Envelope, back: OrderReleased) -> None:
    await conn.execute(store.ORDER_RELEASED, back.order_id, back.quantity)
    await history.add_if_known(
        conn,
        back.order_id,
        event.occurred_at,
        "released",
        back.quantity,
        lots=history.lots(back.lots),
    )


async def on_order_expired(conn: asyncpg.Connection, event: Envelope, gone: OrderExpired) -> None:
    await conn.execute(store.ORDER_EXPIRED, gone.order_id, gone.quantity)
    await history.add_if_known(
        conn,
        gone.order_id,
        event.occurred_at,
        "expired",
        gone.quantity,
        lots=history.lots(gone.lots),
        hold_until=gone.hold_until,
    )


handlers = EventHandlers.each(
    {
        "product.listed": on_product_listed,
        "order.allocated": on_order_allocated,
        "order.released": on_order_released,
        "order.expired": on_order_expired,
    }
)
