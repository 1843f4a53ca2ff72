"""The allocation invariants over random sequences of events, through the real database.

Hypothesis makes up plans of ten to thirty steps: batches of one to five events as the bus
would deliver them (deliveries, orders, cancels, fulfilments; duplicates of earlier events; an
order's event held back so that later orders, or its own cancel, overtake it), holds that run
out as the clock expires them, and policies an operator sets (tests/support/allocator_plans.py).
Each step runs the allocator's own code in one transaction, as the service does, only without
the broker (allocator_steps.py); after each step, SQL checks the invariants of DESIGN.md's
"Allocation" (allocator_invariants.py).

Shrinking is left out of the phases: it replays whole plans against the database and takes
many minutes. A failure prints its whole plan; the cases found so far, cut down by hand, are
the tests after the property.
"""

from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from services.allocator.rules import days
from shared.db import create_pool, migrate, service_migrations
from tests.support import allocator_invariants
from tests.support.allocator_plans import (
    BUYERS,
    Arrive,
    Batch,
    Cancel,
    Duplicate,
    Expire,
    Fulfil,
    LateOrdersArrive,
    Place,
    Redeliver,
    Scenario,
    SetPolicy,
    Supply,
)
from tests.support.allocator_steps import SCHEMA, check_model, run_step, start_afresh
from tools.sandbox import sandbox

MIGRATIONS = Path(__file__).parents[2] / "services" / "allocator" / "migrations"
ZONE = ZoneInfo(days.DEFAULT_TIMEZONE)
SKUS = ("masker-kain", "masker-medis")
CLASSES = ("health", "agency", "public")


def weighted(*choices: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    """One of the strategies, each as often as its weight (`st.one_of` takes each once)."""
    return st.sampled_from([s for weight, s in choices for _ in range(weight)]).flatmap(
        lambda strategy: strategy
    )


products = st.integers(0, 1)
picks = st.integers(0, 40)
# About as many units ordered as delivered, so stock and waiting orders often meet.
event_kinds = weighted(
    (
        3,
        st.builds(
            Place,
            product=products,
            quantity=st.integers(1, 30),
            priority_class=st.sampled_from(CLASSES),
            buyer=st.integers(0, len(BUYERS) - 1),
            accept_partial=st.booleans(),
            held_back=weighted((3, st.just(False)), (1, st.just(True))),
        ),
    ),
    (2, st.builds(Supply, product=products, accepted=st.integers(0, 60))),
    (1, st.builds(Fulfil, pick=picks)),
    (1, st.builds(Cancel, pick=picks, early=st.booleans())),
    (1, st.builds(Duplicate, pick=picks)),
    (1, st.builds(Arrive, pick=picks)),
)
policy_changes = st.builds(
    SetPolicy,
    product=products,
    mode=st.sampled_from(("fifo", "fair_share", "lottery")),
    cap=st.none() | st.integers(5, 40),
    classes=st.lists(
        st.tuples(st.sampled_from((*CLASSES, "program")), st.integers(0, 25)),
        min_size=1,
        max_size=4,
        unique_by=lambda share: share[0],
    ).map(tuple),
)
# Mostly batches of events; now and then the clock, an operator, or a burst of redeliveries.
steps = weighted(
    (6, st.builds(Batch, events=st.lists(event_kinds, min_size=1, max_size=5).map(tuple))),
    (1, st.builds(Redeliver, picks=st.lists(picks, min_size=1, max_size=3).map(tuple))),
    (1, st.builds(Expire, picks=st.lists(picks, min_size=1, max_size=4).map(tuple))),
    (1, policy_changes),
)


@pytest.fixture(scope="module")
async def allocator_db() -> asyncpg.Pool:
    """The allocator's schema, migrated as the service migrates it, in a database of our own."""
    async with sandbox(prefix="plut_sequences") as box:
        pool = await create_pool(box.database_url, SCHEMA, max_size=2)
        try:
            async with pool.acquire() as conn:
                await migrate(conn, SCHEMA, service_migrations(MIGRATIONS))
            yield pool
        finally:
            await pool.close()


async def run_plan(pool: asyncpg.Pool, product_count: int, plan: list) -> Scenario:
    """Run the plan on empty tables, checking every invariant after every step."""
    await start_afresh(pool)
    scenario = Scenario(skus=SKUS[:product_count])
    for step in [*plan, LateOrdersArrive()]:
        today = days.today(ZONE)  # a day that ends during the step only frees cap room
        await run_step(pool, scenario, step)
        async with pool.acquire() as conn:
            await check_model(conn, scenario)
            await allocator_invariants.check_all(
                conn, today=today, zone=ZONE.key, expected_lots=scenario.lots
            )
    return scenario


@settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(product_count=st.integers(1, 2), plan=st.lists(steps, min_size=10, max_size=30))
async def test_the_allocation_invariants_hold_after_every_step(
    allocator_db: asyncpg.Pool, product_count: int, plan: list
):
    await run_plan(allocator_db, product_count, plan)


# Cases the property found, cut down by hand. Each fails while its bug is there.


async def test_a_lottery_fills_while_a_class_it_names_has_nobody_waiting(allocator_db):
    """A lottery gives units to the classes in priority order; 'health' comes first and has
    nobody waiting, so the public order takes all it asked for."""
    lottery = SetPolicy(0, "lottery", None, (("health", 0), ("public", 0)))
    order_and_stock = Batch((Place(0, 5, "public", 0, True, False), Supply(0, 10)))
    await run_plan(allocator_db, 1, [lottery, order_and_stock])
    assert await allocator_db.fetchval("SELECT allocated FROM queue") == 5


async def test_two_orders_of_one_buyer_share_the_buyers_daily_cap(allocator_db):
    """The cap is per buyer and day, not per order: one buyer's two orders get five units
    between them."""
    cap_of_five = SetPolicy(0, "fifo", 5, (("public", 0),))
    two_orders = Batch(
        (Place(0, 10, "public", 0, True, False), Place(0, 10, "public", 0, True, False))
    )
    await run_plan(allocator_db, 1, [cap_of_five, two_orders, Batch((Supply(0, 20),))])
    assert await allocator_db.fetchval("SELECT sum(allocated) FROM queue") == 5


async def test_the_queue_counts_follow_every_kind_of_change(allocator_db: asyncpg.Pool):
    """The counting triggers (migration 0004) per class, hour and buyer, through statements of
    every kind and size: many orders of one buyer, buyers served today, orders given in part,
    filled, cancelled, and rows deleted (which the service never does, but a repair might)."""
    await start_afresh(allocator_db)
    async with allocator_db.acquire() as conn:
        await conn.execute(
            """
            INSERT INTO queue (order_id, hub, sku, quantity, placed_at, sequence, state,
                               buyer_key, priority_class)
            SELECT gen_random_uuid(), 'hub', sku, 1 + i % 3,
                   now() - interval '3 hours' + i * interval '10 minutes', i,
                   CASE WHEN i % 7 = 0 THEN 'cancelled' ELSE 'waiting' END,
                   'buyer-' || i % 5, CASE WHEN i % 4 = 0 THEN 'health' ELSE 'public' END
            FROM generate_series(1, 30) AS i, unnest($1::text[]) AS sku
            """,
            list(SKUS),
        )
        await allocator_invariants.queue_totals_are_counts(conn)
        # Two buyers served today, one of whom then stops waiting, one of whom keeps waiting.
        await conn.execute(
            "INSERT INTO buyer_days (hub, sku, day, buyer_key, units) "
            "SELECT 'hub', $1, current_date, buyer, 1 FROM unnest($2::text[]) AS buyer",
            SKUS[0],
            ["buyer-1", "buyer-2"],
        )
        changes = [
            # Given in part: units move, no order leaves.
            "UPDATE queue SET allocated = 1 WHERE quantity > 1 AND sequence < 10",
            # Filled: every order of buyer-1 leaves, one of buyer-2's.
            "UPDATE queue SET allocated = quantity - forfeited, state = 'filled' "
            "WHERE state = 'waiting' AND (buyer_key = 'buyer-1' OR sequence = 2)",
            # Nothing the counts see.
            "UPDATE queue SET estimated_date = current_date",
            "UPDATE queue SET state = 'cancelled' WHERE sequence BETWEEN 20 AND 24",
            "DELETE FROM queue WHERE sequence > 26",
            "DELETE FROM queue WHERE buyer_key = 'buyer-3'",
        ]
        for change in changes:
            await conn.execute(change)
            await allocator_invariants.queue_totals_are_counts(conn)
        served = await conn.fetchval(
            "SELECT served_waiting FROM queue_buyer_totals WHERE hub = 'hub' AND sku = $1",
            SKUS[0],
        )
        assert served == 1  # buyer-2 still waits; buyer-1 no longer does
