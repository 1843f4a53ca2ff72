"""The orders service's use cases."""

import hashlib
import uuid
from dataclasses import dataclass

import asyncpg

from services.orders import store
from services.orders.models import NewOrder, Order
from shared import outbox
from shared.events import (
    CLASS_OF_BUYER_TYPE,
    Envelope,
    OrderCancelled,
    OrderFulfilled,
    OrderPlaced,
)
from shared.problems import Problem, Text, not_found, unknown_reference

ORDER = Text("pesanan", "order")


@dataclass(frozen=True)
class Answer:
    """What to send back: kept whole, so a retried request gets exactly the first answer."""

    status: int
    body: str  # JSON
    replayed: bool = False


async def place_order(
    conn: asyncpg.Connection, new: NewOrder, correlation_id: str, idempotency_key: str | None
) -> Answer:
    """Queue a pre-order; with an idempotency key, a retry returns the first answer instead.

    The caller has checked that whoever names a `priority_class` may do so.
    """
    async with conn.transaction():
        if idempotency_key is not None:
            # The whole request, accept_partial and priority_class too: the same key with
            # another class or another whole-only choice is another request.
            request_hash = hashlib.sha256(new.model_dump_json().encode()).hexdigest()
            claimed = await conn.fetchval(store.IDEMPOTENCY_CLAIM, idempotency_key, request_hash)
            if claimed is None:
                return await _first_answer(conn, idempotency_key, request_hash)
        row = await conn.fetchrow(
            store.ORDER_INSERT,
            uuid.uuid4(),
            new.hub,
            new.sku,
            new.quantity,
            new.buyer.model_dump(mode="json"),
            new.accept_partial,
            new.priority_class or CLASS_OF_BUYER_TYPE[new.buyer.type],
        )
        if row is None:
            raise await _unknown_product(conn, new.hub, new.sku)
        order = store.order_from(row)
        placed = OrderPlaced(
            order_id=order.id,
            sku=order.sku,
            quantity=order.quantity,
            placed_at=order.placed_at,
            sequence=row["sequence"],
            buyer=order.buyer,
            buyer_key=order.buyer.key(order.id),
            priority_class=order.priority_class,
            accept_partial=order.accept_partial,
        )
        await outbox.add(conn, Envelope.wrap(placed, hub=order.hub, correlation_id=correlation_id))
        answer = Answer(201, order.model_dump_json())
        if idempotency_key is not None:
            await conn.execute(store.IDEMPOTENCY_STORE, idempotency_key, answer.status, answer.body)
    return answer


async def cancel_order(conn: asyncpg.Connection, order_id: uuid.UUID, correlation_id: str) -> Order:
    """Cancel an order; cancelling it again changes nothing. Its units go back via the allocator."""
    async with conn.transaction():
        row = await conn.fetchrow(store.ORDER_BY_ID_FOR_UPDATE, order_id)
        if row is None:
            raise not_found(ORDER, order_id)
        if row["cancelled_at"] is not None:
            return store.order_from(row)
        if row["status"] == "fulfilled":
            raise Problem(
                409,
                "order-fulfilled",
                Text("Pesanan sudah diserahkan", "Order already handed over"),
                Text(
                    "Semua unit pesanan ini sudah diserahkan; pesanan tidak dapat dibatalkan",
                    "All of this order's units were handed over; it cannot be cancelled",
                ),
            )
        order = store.order_from(await conn.fetchrow(store.ORDER_CANCEL, order_id))
        cancelled = OrderCancelled(
            order_id=order.id, sku=order.sku, cancelled_at=order.cancelled_at
        )
        await outbox.add(
            conn, Envelope.wrap(cancelled, hub=order.hub, correlation_id=correlation_id)
        )
    return order


async def fulfil_order(conn: asyncpg.Connection, order_id: uuid.UUID, correlation_id: str) -> Order:
    """An operator hands the order's held units to the buyer (picked up or shipped).

    Announced with the change, in one transaction, so the allocator stops holding them.
    """
    async with conn.transaction():
        # The row lock orders this against a cancel or an expiry of the same order.
        row = await conn.fetchrow(store.ORDER_BY_ID_FOR_UPDATE, order_id)
        if row is None:
            raise not_found(ORDER, order_id)
        if row["cancelled_at"] is not None:
            raise Problem(
                409,
                "order-cancelled",
                Text("Pesanan sudah dibatalkan", "Order cancelled"),
                Text(
                    "Pesanan yang dibatalkan tidak dapat diserahkan",
                    "A cancelled order cannot be handed over",
                ),
            )
        if row["allocated"] <= row["fulfilled"]:
            raise Problem(
                409,
                "nothing-to-fulfil",
                Text("Tidak ada unit untuk diserahkan", "Nothing to hand over"),
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
        await outbox.add(
            conn, Envelope.wrap(fulfilled, hub=order.hub, correlation_id=correlation_id)
        )
    return order


async def _unknown_product(conn: asyncpg.Connection, hub: str, sku: str) -> Problem:
    """Which of the two is unknown: the hub, or the product in a hub we know."""
    if not await conn.fetchval(store.HUB_EXISTS, hub):
        return unknown_reference("hub", Text("hub", "hub"), hub)
    return unknown_reference("sku", Text("produk", "product"), sku)


async def _first_answer(conn: asyncpg.Connection, key: str, request_hash: str) -> Answer:
    stored = await conn.fetchrow(store.IDEMPOTENCY_ANSWER, key)
    if stored["request_hash"] != request_hash:
        raise Problem(
            422,
            "idempotency-key-reused",
            Text("Idempotency-Key sudah dipakai", "Idempotency-Key already used"),
            Text(
                "Kunci ini dipakai untuk permintaan lain; gunakan kunci baru",
                "This key was used for a different request; use a new key",
            ),
        )
    return Answer(stored["status"], stored["response"], replayed=True)
