"""The orders database draws each order's code (migration 0008): orders placed before it get one
as it is applied, and a placement that draws a taken code draws again. Played in a schema of the
test's own, beside the stack's, so its rigged draw touches no other test's orders."""

import json
import uuid
from pathlib import Path

import asyncpg
import pytest

from services.orders.domain import PlaceOrder
from services.orders.group_commit import OrderWriter
from services.orders.models import NewOrder
from shared.db import create_pool, migrate, service_migrations
from shared.order_codes import order_code_from
from tools.sandbox import Sandbox

MIGRATIONS = service_migrations(Path(__file__).parents[2] / "services" / "orders" / "migrations")
BEFORE_CODES = [m for m in MIGRATIONS if m.name.startswith("shared/") or m.name < "0008"]
TAKEN = "AAAAAAAAAA"
# The migration's draw, but the first one made in this schema gives a taken code.
RIGGED_DRAW = """
CREATE SEQUENCE draws;
CREATE OR REPLACE FUNCTION new_order_code() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN nextval('draws') = 1 THEN 'AAAAAAAAAA' ELSE (
        SELECT string_agg(
            substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', get_byte(r.b, i) % 32 + 1, 1), ''
            ORDER BY i)
        FROM (SELECT uuid_send(gen_random_uuid()) AS b) r,
             unnest(ARRAY[0, 1, 2, 3, 4, 5, 9, 10, 11, 12]) AS i
    ) END
$$;
"""
OLD_ORDER = """
INSERT INTO orders (id, hub, sku, quantity, buyer, priority_class)
VALUES ($1, 'kalteng', 'masker-kain', 1, $2::jsonb, 'public')
"""
BUYER = {"name": "Ibu Sari", "type": "individual", "region": "Palangka Raya"}


@pytest.fixture
async def schema(box: Sandbox):
    name = f"codes_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(box.database_url, server_settings={"search_path": name})
    try:
        yield conn, name
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        await conn.close()


async def test_orders_placed_before_codes_get_one_each_as_the_migration_applies(schema):
    conn, name = schema
    await migrate(conn, name, BEFORE_CODES)
    old = [uuid.uuid4() for _ in range(50)]
    for order_id in old:
        await conn.execute(OLD_ORDER, order_id, json.dumps(BUYER))

    applied = await migrate(conn, name, MIGRATIONS)

    assert applied[0] == "0008_order_codes"
    codes = await conn.fetch("SELECT id, code FROM orders")
    assert {row["id"] for row in codes} == set(old)
    assert len({row["code"] for row in codes}) == 50
    assert all(order_code_from(row["code"]) == row["code"] for row in codes)


async def test_a_placement_that_draws_a_taken_code_draws_again(schema, box: Sandbox):
    conn, name = schema
    await migrate(conn, name, MIGRATIONS)
    await conn.execute(
        "INSERT INTO catalog VALUES ('kalteng', 'masker-kain', $1, 'Masker kain', 5000)",
        uuid.uuid4(),
    )
    await conn.execute(
        OLD_ORDER.replace("priority_class)", "priority_class, code)").replace(
            "'public')", f"'public', '{TAKEN}')"
        ),
        uuid.uuid4(),
        json.dumps(BUYER),
    )
    await conn.execute(RIGGED_DRAW)
    pool = await create_pool(box.database_url, name, max_size=2)
    try:
        new = NewOrder(hub="kalteng", sku="masker-kain", quantity=2, buyer=BUYER)
        placement = PlaceOrder(
            new=new,
            partner_id=None,
            correlation_id="draws",
            owner="operator",
            key=None,
            request_hash="",
        )
        answer = await OrderWriter(pool).place(placement)
    finally:
        await pool.close()

    assert answer.status == 201, answer.body
    placed = json.loads(answer.body)
    assert placed["code"] != "AAAAA-AAAAA" and order_code_from(placed["code"]) is not None
    assert await conn.fetchval("SELECT last_value FROM draws") >= 2, "drawn again"
    assert await conn.fetchval("SELECT count(*) FROM orders WHERE quantity = 2") == 1
