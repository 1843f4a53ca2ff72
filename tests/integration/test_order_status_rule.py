"""The order status rule, which is a generated column in the orders table, case by case.

Checked on a temporary copy of the table (same columns and generation expressions), so the
cases need neither the service nor the bus and leave the service's data alone.
"""

import asyncpg
import pytest

from tests.support.stack import Stack

# quantity, allocated, fulfilled, expired, cancelled -> waiting, status
CASES = [
    (10, 0, 0, 0, False, 10, "queued"),
    (10, 4, 0, 0, False, 6, "partially_allocated"),
    (10, 4, 4, 0, False, 6, "partially_allocated"),
    (10, 0, 0, 3, False, 7, "partially_allocated"),
    (10, 3, 3, 3, False, 4, "partially_allocated"),
    (10, 10, 0, 0, False, 0, "allocated"),
    (10, 10, 6, 0, False, 0, "allocated"),
    (10, 6, 0, 4, False, 0, "allocated"),
    (10, 10, 10, 0, False, 0, "fulfilled"),
    (10, 6, 6, 4, False, 0, "fulfilled"),
    (10, 0, 0, 10, False, 0, "expired"),
    (10, 10, 10, 0, True, 0, "cancelled"),
    (10, 4, 0, 0, True, 6, "cancelled"),
    # Out-of-order deltas may overshoot for a moment; the order never looks as if it waited.
    (10, 12, 0, 0, False, 0, "allocated"),
]


@pytest.fixture
async def orders_copy(stack: Stack, database: asyncpg.Connection) -> str:
    """A temporary table like orders.orders (the running stack has migrated it)."""
    await database.execute(
        "CREATE TEMPORARY TABLE orders_copy "
        "(LIKE orders.orders INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING IDENTITY)"
    )
    yield "orders_copy"
    await database.execute("DROP TABLE orders_copy")


@pytest.mark.parametrize("case", CASES, ids=lambda case: "-".join(map(str, case)))
async def test_status_follows_the_counts(
    orders_copy: str, database: asyncpg.Connection, case: tuple
):
    quantity, allocated, fulfilled, expired, cancelled, waiting, status = case
    row = await database.fetchrow(
        f"""
        INSERT INTO {orders_copy}
            (id, hub, sku, quantity, buyer, priority_class,
             allocated, fulfilled, expired, cancelled_at)
        VALUES (gen_random_uuid(), 'hub', 'sku', $1, '{{}}', 'public', $2, $3, $4,
                CASE WHEN $5 THEN now() END)
        RETURNING waiting, status
        """,
        quantity,
        allocated,
        fulfilled,
        expired,
        cancelled,
    )

    assert (row["waiting"], row["status"]) == (waiting, status)
