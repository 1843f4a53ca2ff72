"""The callbacks' SQL on its own: which changes the trigger records, what a claim takes, and how
outcomes of stale attempts are kept from undoing newer facts.

Run in a schema of its own, migrated like the orders service's but with no worker on it, so
each step happens exactly when the test says.
"""

import json
import uuid

import asyncpg
import pytest

from services.orders.store.callbacks import (
    ATTEMPT_FAILED,
    CALLBACK_REPLAY,
    CLAIM,
    CLAIM_TURN,
    DELIVERED,
)
from shared.db import migrate, service_migrations
from tools.local_services import ROOT
from tools.sandbox import Sandbox

MIGRATIONS = service_migrations(ROOT / "services" / "orders" / "migrations")
LEASE_SECONDS = 40.0


@pytest.fixture
async def conn(box: Sandbox) -> asyncpg.Connection:
    schema = f"callbacks_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(box.database_url, server_settings={"search_path": schema})
    await migrate(connection, schema, MIGRATIONS)
    yield connection
    await connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
    await connection.close()


async def new_partner(conn: asyncpg.Connection, callback_url: str | None = "http://p.test/"):
    partner_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO partners (id, name, hubs, scopes, callback_url, callback_secret,"
        " requests_per_minute) VALUES ($1, 'Mitra', '{kalteng}', '{orders:read}', $2, 's', 60)",
        partner_id,
        callback_url,
    )
    return partner_id


async def allocated_orders(conn: asyncpg.Connection, partner_id, count: int) -> list[uuid.UUID]:
    """`count` orders of the partner (None: the operator's), each then allocated in full."""
    ids = [uuid.uuid4() for _ in range(count)]
    for order_id in ids:
        await conn.execute(
            "INSERT INTO orders (id, hub, sku, quantity, buyer, priority_class, partner_id)"
            " VALUES ($1, 'kalteng', 'masker-kain', 2, '{}', 'public', $2)",
            order_id,
            partner_id,
        )
        await conn.execute("UPDATE orders SET allocated = 2 WHERE id = $1", order_id)
    return ids


async def claim(conn: asyncpg.Connection, per_partner: int, free: int) -> list[asyncpg.Record]:
    async with conn.transaction():
        await conn.execute(CLAIM_TURN)
        return await conn.fetch(CLAIM, per_partner, free, LEASE_SECONDS)


async def test_a_status_change_of_a_partners_order_with_a_url_is_recorded_once(conn):
    partner, silent = await new_partner(conn), await new_partner(conn, callback_url=None)
    [order_id] = await allocated_orders(conn, partner, 1)
    await allocated_orders(conn, silent, 1)
    await allocated_orders(conn, None, 1)
    # Changes that leave the status as it is make no callback.
    await conn.execute(
        "UPDATE orders SET hold_until = now(), fulfilled = 1 WHERE id = $1", order_id
    )

    [row] = await conn.fetch("SELECT * FROM callbacks")

    assert (row["partner_id"], row["order_id"], row["state"]) == (partner, order_id, "pending")
    assert (row["previous_status"], row["status"]) == ("queued", "allocated")
    snapshot = json.loads(row["order_snapshot"])
    assert (snapshot["allocated"], snapshot["waiting"], snapshot["status"]) == (2, 0, "allocated")
    assert snapshot["placed_at"].endswith("+00:00"), "times in UTC whoever changed the order"


async def test_a_claim_takes_partners_in_turn_up_to_each_ones_cap(conn):
    busy, quiet = await new_partner(conn), await new_partner(conn)
    await allocated_orders(conn, busy, 10)
    await allocated_orders(conn, quiet, 2)

    first = await claim(conn, per_partner=4, free=5)
    second = await claim(conn, per_partner=4, free=5)

    assert [row["partner_id"] for row in first[:2]].count(quiet) == 1, "the quiet one goes early"
    assert sorted(row["partner_id"] == busy for row in first + second) == [0, 0] + [1] * 4
    assert all(row["attempts"] == 1 and row["callback_url"] for row in first + second)
    assert await claim(conn, per_partner=4, free=5) == [], "the busy one is at its cap"
    await conn.execute("UPDATE callbacks SET leased_until = now() - interval '1 second'")
    assert len(await claim(conn, per_partner=4, free=8)) == 4 + 2, "leases run out"


async def test_an_attempt_claimed_again_since_changes_nothing(conn):
    partner = await new_partner(conn)
    await allocated_orders(conn, partner, 1)
    [stale] = await claim(conn, per_partner=4, free=1)
    await conn.execute("UPDATE callbacks SET leased_until = now() - interval '1 second'")
    [current] = await claim(conn, per_partner=4, free=1)

    gone = await conn.execute(DELIVERED, stale["id"], stale["attempts"], 204)
    failed = await conn.fetchrow(
        ATTEMPT_FAILED,
        stale["id"],
        stale["attempts"],
        None,
        500,
        "HTTP 500",
        stale["retrying_since"],
    )

    # Nothing recorded as delivered, so nothing added to the order's history either.
    assert (gone, failed, current["attempts"]) == ("INSERT 0 0", None, 2)
    assert await conn.fetchval("SELECT state FROM callbacks") == "pending"
    assert (
        await conn.fetchval("SELECT count(*) FROM order_history WHERE kind LIKE 'callback%'") == 0
    )


async def test_a_replay_during_the_last_attempt_keeps_the_callback_due(conn):
    partner = await new_partner(conn)
    await allocated_orders(conn, partner, 1)
    [attempt] = await claim(conn, per_partner=4, free=1)

    replayed = await conn.fetchrow(CALLBACK_REPLAY, attempt["id"], partner)
    # The attempt under way then fails past its (old) window: no retry left by that window.
    after = await conn.fetchrow(
        ATTEMPT_FAILED, attempt["id"], 1, None, 503, "HTTP 503", attempt["retrying_since"]
    )

    assert (after["state"], after["next_attempt_at"]) == ("pending", replayed["next_attempt_at"])
    # Without a replay, the same outcome gives up; a replay then makes it due again.
    [attempt] = await claim(conn, per_partner=4, free=1)
    gave_up = await conn.fetchrow(
        ATTEMPT_FAILED, attempt["id"], 2, None, 503, "HTTP 503", attempt["retrying_since"]
    )
    assert gave_up["state"] == "failed"
    again = await conn.fetchrow(CALLBACK_REPLAY, attempt["id"], partner)
    assert (again["state"], again["attempts"]) == ("pending", 2)
