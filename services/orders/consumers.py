"""The orders service learns the catalog from intake, and from the allocator what each order
was given, what it gave back and what expired uncollected: each in the order's history too.

The allocator's events come in batches of hundreds, mostly one per order: a statement for each
run of them (see `statements`), not two per event, is what keeps this consumer's cost per order
small.
"""

import json
from collections.abc import Iterator, Sequence

import asyncpg

from services.orders import history, store
from shared.consumer import Event, EventHandlers
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


def allocated(given: OrderAllocated) -> tuple:
    """The event's row for store.ORDERS_ALLOCATED: units, hold deadline, history detail."""
    return (
        given.quantity,
        given.hold_until,
        _detail(
            rule=given.rule,
            lots=history.lots(given.lots),
            hold_until=given.hold_until,
            allocated_total=given.allocated_total,
            policy_version=given.policy_version,
        ),
    )


def released(back: OrderReleased) -> tuple:
    return back.quantity, None, _detail(lots=history.lots(back.lots))


def expired(gone: OrderExpired) -> tuple:
    return gone.quantity, None, _detail(lots=history.lots(gone.lots), hold_until=gone.hold_until)


def _detail(**detail) -> str:
    return json.dumps(history.as_stored(**detail))


CHANGES = {
    "order.allocated": (store.ORDERS_ALLOCATED, allocated),
    "order.released": (store.ORDERS_RELEASED, released),
    "order.expired": (store.ORDERS_EXPIRED, expired),
}


def statements(events: Sequence[Event]) -> Iterator[list[Event]]:
    """The batch in the order it arrived, cut into pieces that one statement each can handle:
    a run of one type of the allocator's events that names each order once (a listing is a
    piece of its own). Events about different orders touch different rows, so each piece may
    change its orders together; an order's own events still apply one after the other."""
    piece: list[Event] = []
    orders = set()
    for event in events:
        order_id = getattr(event.payload, "order_id", None)
        if piece and (
            order_id is None or order_id in orders or event.envelope.type != piece[0].envelope.type
        ):
            yield piece
            piece, orders = [], set()
        piece.append(event)
        orders.add(order_id)
    if piece:
        yield piece


async def handle_batch(conn: asyncpg.Connection, events: Sequence[Event]) -> None:
    for piece in statements(events):
        first = piece[0].envelope
        if first.type == "product.listed":
            await on_product_listed(conn, first, piece[0].payload)
            continue
        statement, row_of = CHANGES[first.type]
        rows = [row_of(event.payload) for event in piece]
        await conn.execute(
            statement,
            [event.payload.order_id for event in piece],
            [units for units, _, _ in rows],
            [hold_until for _, hold_until, _ in rows],
            [event.envelope.occurred_at for event in piece],
            [detail for _, _, detail in rows],
        )


handlers = EventHandlers(frozenset(["product.listed", *CHANGES]), handle_batch)
