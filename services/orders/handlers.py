"""The orders service's use cases."""

import uuid

import asyncpg

from services.orders import history, store
from services.orders.models import Order
from shared import outbox
from shared.events import (
    Envelope,
    OrderCancelled,
    OrderFulfilled,
)
from shared.problems import Kind, Problem, Text, not_found, unknown_reference

ORDER = Text("pesanan", "order")
ORDER_FULFILLED = Kind(
    409, "order-fulfilled", Text("Pesanan sudah diserahkan", "Order already handed over")
)
ORDER_CANCELLED = Kind(409, "order-cancelled", Text("Pesanan sudah dibatalkan", "Order cancelled"))
NOTHING_TO_FULFIL = Kind(
    409, "nothing-to-fulfil", Text("Tidak ada unit untuk diserahkan", "Nothing to hand over")
)


async def cancel_order(
    conn: asyncpg.Connection,
    order_id: uuid.UUID,
    partner_id: uuid.UUID | None,
    correlation_id: str,
) -> Order:
    """Cancel an order of the partner's (None: any order, for the operator), in the caller's
    transaction; cancelling it again changes nothing. Its units go back via the allocator."""
    row = await conn.fetchrow(store.ORDER_BY_ID_FOR_UPDATE, order_id, partner_id)
    if row is None:
        raise not_found(ORDER, order_id)
    if row["cancelled_at"] is not None:
        return store.order_from(row)
    if row["status"] == "fulfilled":
        raise ORDER_FULFILLED.problem(
            Text(
                "Semua unit pesanan ini sudah diserahkan; pesanan tidak dapat dibatalkan",
                "All of this order's units were handed over; it cannot be cancelled",
            ),
        )
    order = store.order_from(await conn.fetchrow(store.ORDER_CANCEL, order_id))
    cancelled = OrderCancelled(order_id=order.id, sku=order.sku, cancelled_at=order.cancelled_at)
    await outbox.add(conn, Envelope.wrap(cancelled, hub=order.hub, correlation_id=correlation_id))
    await history.add(
        conn,
        order.id,
        order.cancelled_at,
        "cancelled",
        by="operator" if partner_id is None else "partner",
        partner_id=partner_id,
    )
    return order


async def fulfil_order(conn: asyncpg.Connection, order_id: uuid.UUID, correlation_id: str) -> Order:
    """An operator hands the order's held units to the buyer (picked up or shipped).

    Announced with the change, in the caller's transaction, so the allocator stops holding them.
    """
    # The row lock orders this against a cancel or an expiry of the same order.
    row = await conn.fetchrow(store.ORDER_BY_ID_FOR_UPDATE, order_id, None)
    if row is None:
        raise not_found(ORDER, order_id)
    if row["cancelled_at"] is not None:
        raise ORDER_CANCELLED.problem(
            Text(
                "Pesanan yang dibatalkan tidak dapat diserahkan",
                "A cancelled order cannot be handed over",
            ),
        )
    if row["allocated"] <= row["fulfilled"]:
        raise NOTHING_TO_FULFIL.problem(
            Text(
                "Pesanan ini tidak punya unit yang sedang disimpan untuk pembeli",
                "This order has no units held for the buyer",
            ),
        )
    order = store.order_from(await conn.fetchrow(store.ORDER_FULFIL, order_id))
    fulfilled = OrderFulfilled(
        order_id=order.id,
        sku=order.sku,
        quantity=order.fulfilled - row["fulfilled"],
        fulfilled_total=order.fulfilled,
        fulfilled_at=order.fulfilled_at,
    )
    await outbox.add(conn, Envelope.wrap(fulfilled, hub=order.hub, correlation_id=correlation_id))
    await history.add(
        conn,
        order.id,
        order.fulfilled_at,
        "fulfilled",
        fulfilled.quantity,
        fulfilled_total=order.fulfilled,
    )
    return order


async def unknown_product(conn: asyncpg.Connection, hub: str, sku: str) -> Problem:
    """Which of the two is unknown: the hub, or the product in a hub we know."""
    if not await conn.fetchval(store.HUB_EXISTS, hub):
        return unknown_reference("hub", Text("hub", "hub"), hub)
    return unknown_reference("sku", Text("produk", "product"), sku)
