"""Intake's consumer, one batch at a time, against the running stack's database: a batch of the
allocator's events adds up in one statement to what each event alone would have added.

The handler runs in a transaction the test rolls back, so the service never sees it.
"""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import asyncpg
import pytest

from services.intake.consumers import handlers
from shared.consumer import Event, handle_new
from shared.events import LotShare, OrderAllocated, OrderExpired, OrderReleased, ProgrammeShare
from tests.support.consuming import event, rolled_back
from tools.client import HubClient
from tools.sandbox import Sandbox

SKU = "masker-kain"
# 18:00 UTC is 01:00 the next day at a hub on Western Indonesian Time (intake's default).
EVENING = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
MORNING = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


def shares(*lots: tuple[dict, int]) -> tuple[LotShare, ...]:
    return tuple(
        LotShare(delivery_id=lot["id"], producer_id=lot["producer_id"], quantity=quantity)
        for lot, quantity in lots
    )


def allocated(
    at: datetime,
    *lots: tuple[dict, int],
    order_id: uuid.UUID | None = None,
    programme: ProgrammeShare | None = None,
) -> Event:
    given = shares(*lots)
    total = sum(share.quantity for share in given)
    payload = OrderAllocated(
        order_id=order_id or uuid.uuid4(),
        sku=SKU,
        quantity=total,
        allocated_total=total,
        requested=total,
        lots=given,
        rule="fifo",
        policy_version=0,
        hold_until=None,
        programme=programme,
    )
    return event(payload, at)


def released(at: datetime, *lots: tuple[dict, int], order_id: uuid.UUID | None = None) -> Event:
    back = shares(*lots)
    total = sum(share.quantity for share in back)
    payload = OrderReleased(order_id=order_id or uuid.uuid4(), sku=SKU, quantity=total, lots=back)
    return event(payload, at)


def expired(at: datetime, *lots: tuple[dict, int]) -> Event:
    gone = shares(*lots)
    total = sum(share.quantity for share in gone)
    payload = OrderExpired(
        order_id=uuid.uuid4(), sku=SKU, quantity=total, lots=gone, hold_until=MORNING
    )
    return event(payload, at)


@pytest.fixture
async def intake_db(box: Sandbox, stack) -> AsyncIterator[asyncpg.Connection]:
    async with rolled_back(box.database_url, "intake") as conn:
        yield conn


async def test_a_batch_adds_up_each_lots_sales_on_each_events_own_day(
    client: HubClient, hub: str, intake_db: asyncpg.Connection
):
    producer = await client.register_producer(
        hub, name="Ibu Sari", phone="081234567890", regency="Kapuas"
    )
    first = await client.record_delivery(hub, producer["id"], SKU, 50)
    second = await client.record_delivery(hub, producer["id"], SKU, 50)
    elsewhere = {"id": str(uuid.uuid4()), "producer_id": producer["id"]}  # not intake's lot
    batch = [
        allocated(MORNING, (first, 3)),
        allocated(MORNING, (first, 2), (second, 4), (first, 1)),  # a lot named twice
        allocated(EVENING, (first, 5), (elsewhere, 7)),
        released(EVENING, (first, 1)),
        expired(MORNING, (second, 3)),
    ]

    fresh = await handle_new(intake_db, [*batch, batch[0]], handlers.handle_batch)

    assert fresh == batch, "the duplicate is left out"
    sold = await intake_db.fetch(
        "SELECT id::text, sold FROM deliveries WHERE id = ANY($1::uuid[])",
        [first["id"], second["id"]],
    )
    assert dict(map(tuple, sold)) == {first["id"]: 10, second["id"]: 1}
    by_day = await intake_db.fetch(
        "SELECT delivery_id::text, day, units FROM delivery_sales WHERE hub = $1", hub
    )
    assert sorted(map(tuple, by_day)) == sorted(
        [
            (first["id"], date(2026, 11, 28), 6),
            (first["id"], date(2026, 11, 29), 4),
            (second["id"], date(2026, 11, 28), 1),
        ]
    )


async def sales_of(conn: asyncpg.Connection, hub: str) -> list[tuple]:
    """(lot, day, programme, price, units) of the hub's sales: programme and price None for
    ordinary sales."""
    rows = await conn.fetch(
        "SELECT delivery_id::text, day, programme_id, programme_price, units"
        " FROM delivery_sales WHERE hub = $1 AND units <> 0",
        hub,
    )
    return sorted(map(tuple, rows), key=str)


async def test_a_programmes_units_are_its_sales_at_its_price_beside_ordinary_ones(
    client: HubClient, hub: str, intake_db: asyncpg.Connection
):
    producer = await client.register_producer(
        hub, name="Ibu Sari", phone="081234567891", regency="Kapuas"
    )
    lot = await client.record_delivery(hub, producer["id"], SKU, 50)
    share = ProgrammeShare(programme_id=uuid.uuid4(), unit_price=4500)
    free, later = uuid.uuid4(), uuid.uuid4()
    await handle_new(
        intake_db,
        [
            allocated(MORNING, (lot, 4), order_id=free, programme=share),
            allocated(MORNING, (lot, 3)),
            released(MORNING, (lot, 1), order_id=free),
            # Another order of the programme, whose release overtook its allocation.
            released(MORNING, (lot, 2), order_id=later),
        ],
        handlers.handle_batch,
    )
    day = date(2026, 11, 28)
    assert await sales_of(intake_db, hub) == sorted(
        [(lot["id"], day, None, None, 1), (lot["id"], day, share.programme_id, 4500, 3)], key=str
    )

    await handle_new(
        intake_db,
        [allocated(EVENING, (lot, 5), order_id=later, programme=share)],
        handlers.handle_batch,
    )

    assert await sales_of(intake_db, hub) == sorted(
        [
            (lot["id"], day, None, None, 3),  # the ordinary order's, alone now
            (lot["id"], day, share.programme_id, 4500, 1),  # 4 - 1, and the -2 moved here
            (lot["id"], date(2026, 11, 29), share.programme_id, 4500, 5),
        ],
        key=str,
    )
    assert await intake_db.fetchval("SELECT sold FROM deliveries WHERE id = $1", lot["id"]) == 9
    moved = await intake_db.fetchval(
        "SELECT count(*) FROM ordinary_returns WHERE order_id = $1", later
    )
    assert moved == 0
