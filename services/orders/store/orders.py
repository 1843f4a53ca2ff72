"""Orders: every statement that reads or changes the `orders` table, and its rows as the API
answers them."""

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

import asyncpg
import orjson

from services.orders.domain import PlacedOrder
from services.orders.history import as_stored
from services.orders.models import NewOrder, Order
from services.orders.store.products import products_locked
from shared.order_codes import shown

if TYPE_CHECKING:
    from services.orders.store.unit_of_work import UnitOfWork

# $2 is the partner asking: it sees only its own orders. NULL is the operator, who sees all.
ORDER_BY_ID = "SELECT * FROM orders WHERE id = $1 AND ($2::uuid IS NULL OR partner_id = $2)"
ORDER_BY_ID_FOR_UPDATE = ORDER_BY_ID + " FOR UPDATE"
# The partner's own, or one of its hubs ($4) whose buyer's phone a door of the centre's checked
# and recorded (migration 0009) as the one given ($3).
ORDER_OF_BUYER_FOR_UPDATE = """
SELECT * FROM orders
WHERE id = $1 AND (partner_id = $2 OR (verified_phone = $3 AND hub = ANY ($4::text[])))
FOR UPDATE
"""
# By its code as kept (migration 0008); $2 as in ORDER_BY_ID.
ORDER_BY_CODE = "SELECT * FROM orders WHERE code = $1 AND ($2::uuid IS NULL OR partner_id = $2)"
ORDER_CANCEL = "UPDATE orders SET cancelled_at = now() WHERE id = $1 RETURNING *"
ORDER_FULFIL = """
UPDATE orders SET fulfilled = allocated, fulfilled_at = now() WHERE id = $1 RETURNING *
"""

# The allocator's events of one kind for many orders at once: each order's counts move by its
# event's delta, and its history gets the entry, in the events' order. Each order is named at
# most once ($1): a second event for it goes in the next statement, so its status steps through
# every change, as the callbacks trigger sees them. An order this service never had (a test
# driving the allocator directly) has no row to change, and no history to add to.
_ORDERS_CHANGE = """
WITH change AS (
    SELECT *
    FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::timestamptz[], $5::text[])
         WITH ORDINALITY AS change (order_id, units, hold_until, at, detail, i)
), changed AS (
    UPDATE orders SET {set}
    FROM change
    WHERE orders.id = change.order_id
    RETURNING orders.id
)
INSERT INTO order_history (order_id, at, kind, units, detail)
SELECT change.order_id, change.at, '{kind}', change.units, change.detail::jsonb
FROM change JOIN changed ON changed.id = change.order_id
ORDER BY change.i
"""
# The counts move by deltas, which commute, so the events' order does not matter; the hold
# deadline is the latest one given (greatest() skips nulls).
ORDERS_ALLOCATED = _ORDERS_CHANGE.format(
    kind="allocated",
    set="""allocated = orders.allocated + change.units,
        hold_until = greatest(orders.hold_until, change.hold_until)""",
)
# What was given back was held, never handed over; the clamp keeps `fulfilled` within
# `allocated` should the allocator take back handed-over units after all (SET reads old values).
ORDERS_RELEASED = _ORDERS_CHANGE.format(
    kind="released",
    set="""allocated = orders.allocated - change.units,
        fulfilled = greatest(least(orders.fulfilled, orders.allocated - change.units), 0)""",
)
ORDERS_EXPIRED = _ORDERS_CHANGE.format(
    kind="expired",
    set="""allocated = orders.allocated - change.units,
        expired = orders.expired + change.units,
        fulfilled = greatest(least(orders.fulfilled, orders.allocated - change.units), 0)""",
)
# A new order drew a code another order has (about 1 in 10^15 a pair): drawn again, the batch
# goes in whole. Three draws in a row failing means something else is wrong.
CODE_TAKEN = "orders_code_key"
# Orders, many at once: an order whose product the catalog lacks is not inserted.
# Each gets its code from the column's default (migration 0008), drawn afresh on each attempt.
# The products' locks are taken before any row is made, so before the defaults draw each row's
# placed_at and sequence (in the batch's order): see store/products.py. Held already when the
# batch's claim or windows locked them; the programmes' applications take them here.
ORDERS_INSERT = f"""
INSERT INTO orders (id, hub, sku, quantity, buyer, accept_partial, priority_class, partner_id)
SELECT u.id, u.hub, u.sku, u.quantity, u.buyer::jsonb, u.accept_partial, u.priority_class,
       u.partner_id
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::bool[], $7::text[],
            $8::uuid[]) WITH ORDINALITY
     AS u(id, hub, sku, quantity, buyer, accept_partial, priority_class, partner_id, i)
WHERE EXISTS (SELECT 1 FROM catalog c WHERE c.hub = u.hub AND c.sku = u.sku)
  AND {products_locked("$2", "$3")}
ORDER BY u.i
RETURNING *
"""


def order_from(row: asyncpg.Record) -> Order:
    """An order as the API answers it: its code shown, as people read it."""
    return Order.model_validate({**row, "code": shown(row["code"])})


async def order_by_id(
    conn: asyncpg.Connection, order_id: uuid.UUID, partner_id: uuid.UUID | None
) -> Order | None:
    """The order, if `partner_id` placed it (None: the operator, who may see every order)."""
    row = await conn.fetchrow(ORDER_BY_ID, order_id, partner_id)
    return None if row is None else order_from(row)


async def order_by_code(
    conn: asyncpg.Connection, code: str, partner_id: uuid.UUID | None
) -> Order | None:
    """The order of that code (as kept), if `partner_id` placed it (None: any order)."""
    row = await conn.fetchrow(ORDER_BY_CODE, code, partner_id)
    return None if row is None else order_from(row)


CHANGES = {"allocated": ORDERS_ALLOCATED, "released": ORDERS_RELEASED, "expired": ORDERS_EXPIRED}


class OrderRows:
    """The unit of work's orders: placed (gathered into one insert), read, cancelled and handed
    over one at a time, and changed by the allocator's outcomes (held until flushed)."""

    def __init__(self, unit: "UnitOfWork") -> None:
        self._unit = unit
        self._insert = unit.gathered(_insert_all)
        self._changes: list[tuple[str, uuid.UUID, int, datetime | None, datetime, str]] = []

    async def add(
        self, order_id: uuid.UUID, new: NewOrder, priority_class: str, partner_id: uuid.UUID | None
    ) -> PlacedOrder | None:
        """The order stored; None when the catalog does not have its product."""
        return await self._insert((order_id, new, priority_class, partner_id))

    async def locked(self, order_id: uuid.UUID, partner_id: uuid.UUID | None) -> Order | None:
        """The order, locked until the transaction ends, if `partner_id` placed it (None: any)."""
        await self.flush()
        row = await self._unit.run(
            lambda c: c.fetchrow(ORDER_BY_ID_FOR_UPDATE, order_id, partner_id)
        )
        return None if row is None else order_from(row)

    async def locked_for_buyer(
        self,
        order_id: uuid.UUID,
        partner_id: uuid.UUID | None,
        verified_phone: str,
        hubs: frozenset[str] | None,
    ) -> Order | None:
        """As `locked`, or also, locked the same, an order of `hubs` whose buyer's verified
        phone is `verified_phone`."""
        await self.flush()
        row = await self._unit.run(
            lambda c: c.fetchrow(
                ORDER_OF_BUYER_FOR_UPDATE, order_id, partner_id, verified_phone, sorted(hubs or ())
            )
        )
        return None if row is None else order_from(row)

    async def cancel(self, order_id: uuid.UUID) -> Order:
        return order_from(await self._unit.run(lambda c: c.fetchrow(ORDER_CANCEL, order_id)))

    async def fulfil(self, order_id: uuid.UUID) -> Order:
        return order_from(await self._unit.run(lambda c: c.fetchrow(ORDER_FULFIL, order_id)))

    def change(
        self,
        kind: str,
        order_id: uuid.UUID,
        units: int,
        hold_until: datetime | None,
        at: datetime,
        detail: dict[str, Any],
    ) -> None:
        """An allocator's outcome (`kind` of CHANGES) for the order, with its history entry."""
        stored = orjson.dumps(as_stored(**detail)).decode()
        self._changes.append((kind, order_id, units, hold_until, at, stored))

    async def flush(self) -> None:
        changes, self._changes = self._changes, []
        for piece in statements(changes):
            columns = [[change[n] for change in piece] for n in range(1, 6)]
            await self._unit.run(lambda c, p=piece, cs=columns: c.execute(CHANGES[p[0][0]], *cs))


def statements(changes: list[tuple]) -> Iterator[list[tuple]]:
    """The changes in the order they came, cut into runs that one statement each can make: one
    kind, each order named once. Different orders' rows are apart, so a run may change them
    together; an order's own changes still apply one after the other, and its status steps
    through each (as the callbacks trigger sees them)."""
    piece: list[tuple] = []
    orders: set[uuid.UUID] = set()
    for change in changes:
        if piece and (change[1] in orders or change[0] != piece[0][0]):
            yield piece
            piece, orders = [], set()
        piece.append(change)
        orders.add(change[1])
    if piece:
        yield piece


async def _insert_all(conn: asyncpg.Connection, asked: list[tuple]) -> list[PlacedOrder | None]:
    rows = await conn.fetch(
        ORDERS_INSERT,
        [order_id for order_id, _, _, _ in asked],
        [new.hub for _, new, _, _ in asked],
        [new.sku for _, new, _, _ in asked],
        [new.quantity for _, new, _, _ in asked],
        [new.buyer.model_dump_json() for _, new, _, _ in asked],
        [new.accept_partial for _, new, _, _ in asked],
        [priority_class for _, _, priority_class, _ in asked],
        [partner_id for _, _, _, partner_id in asked],
    )
    placed = {row["id"]: PlacedOrder(order_from(row), row["sequence"]) for row in rows}
    return [placed.get(order_id) for order_id, _, _, _ in asked]
