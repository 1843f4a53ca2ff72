"""Intake keeps each lot's sold count from the allocator's events, for the producers' view."""

import asyncpg

from services.intake import store
from shared.consumer import EventHandlers
from shared.events import Envelope, OrderAllocated, OrderExpired, OrderReleased


async def on_order_allocated(
    conn: asyncpg.Connection, _event: Envelope, payload: OrderAllocated
) -> None:
    await store.add_sold(conn, {lot.delivery_id: lot.quantity for lot in payload.lots})


async def on_order_released(
    conn: asyncpg.Connection, _event: Envelope, payload: OrderReleased
) -> None:
    await store.add_sold(conn, {lot.delivery_id: -lot.quantity for lot in payload.lots})


async def on_order_expired(
    conn: asyncpg.Connection, _event: Envelope, payload: OrderExpired
) -> None:
    """Held units nobody collected went back to their lots: they are no longer sold."""
    await store.add_sold(conn, {lot.delivery_id: -lot.quantity for lot in payload.lots})


handlers = EventHandlers.each(
    {
        "order.allocated": on_order_allocated,
        "order.released": on_order_released,
        "order.expired": on_order_expired,
    }
)
