"""The orders service's consumer, one batch at a time, against the running stack's database:
a batch of the allocator's events changes many orders in few statements, yet each order's
events apply one after the other, as if handled alone.

Each test drives the handler in a transaction of its own that it rolls back, so the service
never sees what it wrote (nor posts its callbacks).
"""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from pydantic_core import to_jsonable_python

from services.orders.consumers import handlers
from services.orders.store.orders import statements
from shared.consumer import Event, handle_new
from shared.events import (
    LotShare,
    OrderAllocated,
    OrderExpired,
    OrderReleased,
    ProductListed,
)
from tests.support.consuming import event, rolled_back
from tests.support.partner_endpoint import CallbackPartner
from tools.client import HubClient
from tools.sandbox import Sandbox

SKU = "masker-kain"
BUYER = {"name": "Koperasi Maju", "type": "business", "region": "Sampit", "reference": "po-9"}
LOT = LotShare(delivery_id=uuid.uuid4(), producer_id=uuid.uuid4(), quantity=1)
DEADLINE = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def allocated(order_id, quantity: int, total: int, hold_days: int = 1, minutes: int = 0) -> Event:
    lots = (LOT.model_copy(update={"quantity": quantity}),)
    given = OrderAllocated(
        order_id=order_id,
        sku=SKU,
        quantity=quantity,
        allocated_total=total,
        requested=total,
        lots=lots,
        rule="fifo",
        policy_version=1,
        hold_until=DEADLINE + timedelta(days=hold_days),
    )
    return event(given, DEADLINE + timedelta(minutes=minutes))


def released(order_id, quantity: int, minutes: int = 0) -> Event:
    lots = (LOT.model_copy(update={"quantity": quantity}),)
    return event(
        OrderReleased(order_id=order_id, sku=SKU, quantity=quantity, lots=lots),
        DEADLINE + timedelta(minutes=minutes),
    )


def expired(order_id, quantity: int, minutes: int = 0) -> Event:
    lots = (LOT.model_copy(update={"quantity": quantity}),)
    gone = OrderExpired(
        order_id=order_id, sku=SKU, quantity=quantity, lots=lots, hold_until=DEADLINE
    )
    return event(gone, DEADLINE + timedelta(minutes=minutes))


def listed(sku: str) -> Event:
    return event(
        ProductListed(product_id=uuid.uuid4(), sku=sku, name="Masker", unit_price=1), DEADLINE
    )


@pytest.fixture
async def orders_db(box: Sandbox, stack) -> AsyncIterator[asyncpg.Connection]:
    async with rolled_back(box.database_url, "orders") as conn:
        yield conn


async def place(client: HubClient, hub: str, quantity: int) -> uuid.UUID:
    return uuid.UUID((await client.place_order(hub, SKU, quantity, BUYER))["id"])


async def handle(conn: asyncpg.Connection, *events: Event) -> list[Event]:
    return await handle_new(conn, events, handlers.handle_batch)


async def counts(conn: asyncpg.Connection, order_id: uuid.UUID) -> dict:
    row = await conn.fetchrow(
        "SELECT allocated, fulfilled, expired, hold_until, status FROM orders WHERE id = $1",
        order_id,
    )
    return dict(row)


async def history(conn: asyncpg.Connection, order_id: uuid.UUID) -> list[tuple]:
    rows = await conn.fetch(
        "SELECT kind, units, detail FROM order_history WHERE order_id = $1 AND kind <> 'placed'"
        " ORDER BY at, id",
        order_id,
    )
    return [(row["kind"], row["units"], json.loads(row["detail"])) for row in rows]


def test_a_batch_is_cut_where_the_kind_changes_or_an_order_comes_again():
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    # The unit of work's held changes: (kind, order, ...); listings are a kind of row apart.
    changes = [
        ("allocated", a, 0),
        ("allocated", b, 1),
        ("allocated", a, 2),  # a again
        ("allocated", c, 3),
        ("released", c, 4),  # another kind
        ("released", a, 5),
        ("expired", b, 6),
    ]

    pieces = [[change[2] for change in piece] for piece in statements(changes)]

    assert pieces == [[0, 1], [2, 3], [4, 5], [6]]


async def test_allocations_of_many_orders_in_one_batch_each_count_once(
    client: HubClient, hub: str, orders_db: asyncpg.Connection
):
    first, second = await place(client, hub, 3), await place(client, hub, 2)
    unknown = uuid.uuid4()  # placed elsewhere, or not yet known: nothing to change
    batch = [
        allocated(first, 1, 1, hold_days=2, minutes=1),
        allocated(second, 2, 2, minutes=2),
        allocated(unknown, 1, 1, minutes=3),
        allocated(first, 2, 3, hold_days=1, minutes=4),
    ]
    duplicate = batch[1]

    fresh = await handle(orders_db, *batch, duplicate)

    assert fresh == batch
    assert await counts(orders_db, first) == {
        "allocated": 3,
        "fulfilled": 0,
        "expired": 0,
        "hold_until": DEADLINE + timedelta(days=2),  # the latest deadline given
        "status": "allocated",
    }
    assert (await counts(orders_db, second))["allocated"] == 2
    assert [
        (kind, units, detail["allocated_total"])
        for kind, units, detail in await history(orders_db, first)
    ] == [("allocated", 1, 1), ("allocated", 2, 3)]
    [(_, _, detail)] = await history(orders_db, second)
    assert detail == {
        "rule": "fifo",
        "lots": [LOT.model_copy(update={"quantity": 2}).model_dump(mode="json")],
        "hold_until": to_jsonable_python(DEADLINE + timedelta(days=1)),
        "allocated_total": 2,
        "policy_version": 1,
    }
    assert not await orders_db.fetchval("SELECT count(*) FROM orders WHERE id = $1", unknown)
    assert not await history(orders_db, unknown)

    assert await handle(orders_db, *batch) == [], "a redelivered batch changes nothing"
    assert (await counts(orders_db, first))["allocated"] == 3


async def test_an_orders_events_in_one_batch_apply_in_the_order_they_came(
    client: HubClient, hub: str, orders_db: asyncpg.Connection
):
    given_back, gone = await place(client, hub, 2), await place(client, hub, 2)

    await handle(
        orders_db,
        allocated(given_back, 2, 2, minutes=1),
        allocated(gone, 2, 2, minutes=1),
        released(given_back, 2, minutes=2),
        expired(gone, 1, minutes=2),
        allocated(given_back, 1, 1, minutes=3),
        expired(gone, 1, minutes=3),
    )

    assert await counts(orders_db, given_back) == {
        "allocated": 1,
        "fulfilled": 0,
        "expired": 0,
        "hold_until": DEADLINE + timedelta(days=1),
        "status": "partially_allocated",
    }
    assert [(kind, units) for kind, units, _ in await history(orders_db, given_back)] == [
        ("allocated", 2),
        ("released", 2),
        ("allocated", 1),
    ]
    gone_now = await counts(orders_db, gone)
    assert (gone_now["allocated"], gone_now["expired"], gone_now["status"]) == (0, 2, "expired")


async def test_a_partner_hears_of_each_status_its_order_went_through_in_a_batch(
    hub: str, orders_db: asyncpg.Connection, partners_called_back
):
    bank: CallbackPartner = await partners_called_back()
    order_id = await place(bank.client, hub, 3)

    await handle(orders_db, allocated(order_id, 1, 1), allocated(order_id, 2, 3))

    changes = await orders_db.fetch(
        "SELECT previous_status, status FROM callbacks WHERE order_id = $1 ORDER BY created_at",
        order_id,
    )
    assert [tuple(change) for change in changes] == [
        ("queued", "partially_allocated"),
        ("partially_allocated", "allocated"),
    ]


async def test_a_listing_between_allocations_updates_the_catalog(
    hub: str, orders_db: asyncpg.Connection
):
    listing = listed("topi-anyaman")
    listing = Event(listing.envelope.model_copy(update={"hub": hub}), listing.payload)

    await handle(orders_db, allocated(uuid.uuid4(), 1, 1), listing, allocated(uuid.uuid4(), 1, 1))

    assert await orders_db.fetchval(
        "SELECT name FROM catalog WHERE hub = $1 AND sku = 'topi-anyaman'", hub
    )
