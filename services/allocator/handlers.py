"""The allocator's use cases. Each runs inside the consumer's transaction, takes the product's
lock first, changes the queue and stock, fills the queue, and writes the events of what it did.
"""

from collections import defaultdict

import asyncpg

from services.allocator import store
from services.allocator.domain import Allocation, Claim, allocate_fifo
from shared import outbox
from shared.events import (
    Envelope,
    LotShare,
    OrderAllocated,
    OrderCancelled,
    OrderPlaced,
    OrderQueued,
    OrderReleased,
    SupplyReceived,
)


async def receive_supply(conn: asyncpg.Connection, event: Envelope, supply: SupplyReceived) -> None:
    """A delivery's accepted units join the stock and go to the head of the queue."""
    await store.lock_product(conn, event.hub, supply.sku)
    await conn.execute(
        store.LOT_INSERT,
        supply.delivery_id,
        event.hub,
        supply.sku,
        supply.producer_id,
        supply.accepted,
        supply.received_at,
    )
    await fill(conn, event, supply.sku)


async def enqueue_order(conn: asyncpg.Connection, event: Envelope, order: OrderPlaced) -> None:
    """An order takes its place in the queue, and is served at once if stock waits for it."""
    await store.lock_product(conn, event.hub, order.sku)
    cancelled_already = await conn.fetchval(store.EARLY_CANCELLATION_EXISTS, order.order_id)
    await conn.execute(
        store.ORDER_INSERT,
        order.order_id,
        event.hub,
        order.sku,
        order.quantity,
        order.placed_at,
        order.sequence,
        "cancelled" if cancelled_already else "waiting",
    )
    if cancelled_already:
        return
    position, units_ahead = await store.place_in_queue(
        conn, event.hub, order.sku, order.placed_at, order.sequence
    )
    queued = OrderQueued(
        order_id=order.order_id,
        sku=order.sku,
        quantity=order.quantity,
        priority_class=order.priority_class,
        position=position,
        units_ahead=units_ahead,
        estimated_date=None,
    )
    await outbox.add(conn, event.follow(queued))
    await fill(conn, event, order.sku)


async def cancel_order(conn: asyncpg.Connection, event: Envelope, cancel: OrderCancelled) -> None:
    """A cancelled order leaves the queue; its units go back to stock and on to the next in line.

    A cancel may overtake its order on the way here: it is then remembered, and the order is
    never queued.
    """
    await store.lock_product(conn, event.hub, cancel.sku)
    order = await conn.fetchrow(store.ORDER_BY_ID, cancel.order_id)
    if order is None:
        await conn.execute(store.EARLY_CANCELLATION_INSERT, cancel.order_id, cancel.cancelled_at)
        return
    if order["state"] == "cancelled":
        return
    released = await store.release_order(conn, cancel.order_id)
    if released:
        payload = OrderReleased(
            order_id=cancel.order_id,
            sku=cancel.sku,
            quantity=sum(a.quantity for a in released),
            lots=_shares(released),
        )
        await outbox.add(conn, event.follow(payload))
        await fill(conn, event, cancel.sku)


async def fill(conn: asyncpg.Connection, cause: Envelope, sku: str) -> list[Allocation]:
    """Give the product's available stock to the head of its queue. Caller holds the lock.

    Reads only the lots with stock and at most one waiting order per available unit, so the
    cost follows the orders served, not the length of the queue.
    """
    lots = await store.lots_with_stock(conn, cause.hub, sku)
    available = sum(lot.available for lot in lots)
    if available == 0:
        return []
    claims = await store.queue_head(conn, cause.hub, sku, limit=available)
    allocations = allocate_fifo(lots, claims)
    if not allocations:
        return []
    await store.record_allocations(conn, allocations)
    await outbox.add(conn, *_allocated_events(cause, sku, claims, allocations))
    return allocations


def _allocated_events(
    cause: Envelope, sku: str, claims: list[Claim], allocations: list[Allocation]
) -> list[Envelope]:
    by_order: dict = defaultdict(list)
    for allocation in allocations:
        by_order[allocation.order_id].append(allocation)
    events = []
    for claim in claims:
        given = by_order.get(claim.order_id)
        if not given:
            continue
        quantity = sum(a.quantity for a in given)
        payload = OrderAllocated(
            order_id=claim.order_id,
            sku=sku,
            quantity=quantity,
            allocated_total=claim.allocated + quantity,
            requested=claim.requested,
            lots=_shares(given),
            rule="fifo",
            policy_version=0,
            hold_until=None,
        )
        events.append(cause.follow(payload))
    return events


def _shares(allocations: list[Allocation]) -> tuple[LotShare, ...]:
    return tuple(
        LotShare(delivery_id=a.delivery_id, producer_id=a.producer_id, quantity=a.quantity)
        for a in allocations
    )
