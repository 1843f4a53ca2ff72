"""Intake keeps each lot's sold count, and its sales per day, from the allocator's events, for
the producers' view and their payouts."""

import asyncpg

from services.intake import store
from services.intake.domain import units_by_lot
from shared.consumer import EventHandlers
from shared.events import Envelope, OrderAllocated, OrderExpired, OrderReleased


async def on_order_allocated(
    conn: asyncpg.Connection, event: Envelope, payload: OrderAllocated
) -> None:
    await store.add_sold(conn, units_by_lot(payload.lots, +1), event.occurred_at)


async def on_order_released(
    conn: asyncpg.Connection, event: Envelope, payload: OrderReleased
) -> None:
    await store.add_sold(conn, units_by_lot(payload.lots, -1), event.occurred_at)


async def on_order_expired(
    conn: asyncpg.Connection, event: Envelope, payload: OrderExpired
) -> None:
    """Held units nobody collected went back to their lots: they are no longer sold (from the
    day they went back; the day they sold keeps its sale)."""
    await store.add_sold(conn, units_by_lot(payload.lots, -1), event.occurred_at)


handlers = EventHandlers.each(
    {
        "order.allocated": on_order_allocated,
        "order.released": on_order_released,
        "order.expired": on_order_expired,
    }
)
