"""Running a plan's steps through the allocator's own code, as the service runs them but
without the broker: the consumer's inbox transaction, the clock, the policy endpoint.
"""

import asyncpg

from services.allocator.clock import Clock
from services.allocator.consumers import handle_batch
from services.allocator.handlers.policy import set_policy as put_policy
from services.allocator.rules.policies import ClassRule, PolicyRules
from services.allocator.store.unit_of_work import UnitOfWork
from shared.consumer import Event, handle_new
from shared.events import Envelope, EventPayload
from tests.support.allocator_plans import (
    HUB,
    Batch,
    Expire,
    LateOrdersArrive,
    Redeliver,
    Scenario,
    SetPolicy,
)

SCHEMA = "allocator"


async def consume(pool: asyncpg.Pool, batch: list[Envelope]) -> None:
    """What the allocator's Consumer does with a batch of messages (shared/consumer.py): read
    each as it came off the wire, record the inbox, and handle the events not seen before,
    each once, in arrival order, in the same transaction."""
    events = [Event(wire, wire.read()) for wire in map(_over_the_wire, batch)]
    async with pool.acquire() as conn, conn.transaction():
        await handle_new(conn, events, handle_batch)


def _over_the_wire(envelope: Envelope) -> Envelope:
    return Envelope.model_validate_json(envelope.model_dump_json())


async def expire(pool: asyncpg.Pool, picks: tuple[int, ...]) -> None:
    """Time passes for some held allocations; then the clock expires what is due, each
    product under its lock, as it does every few seconds."""
    held = await pool.fetch("SELECT id FROM allocations WHERE state = 'held' ORDER BY id")
    if not held:
        return
    due = sorted({held[pick % len(held)]["id"] for pick in picks})
    await pool.execute(
        "UPDATE allocations SET hold_until = now() - interval '1 minute' WHERE id = ANY($1)", due
    )
    await Clock(pool).expire_holds()


async def set_policy(pool: asyncpg.Pool, sku: str, step: SetPolicy) -> None:
    """What `PUT /v1/hubs/{hub}/products/{sku}/policy` does: a new version, then a fill."""
    rules = PolicyRules(
        mode=step.mode,
        per_buyer_daily_cap=step.cap,
        classes=[ClassRule(name=name, reserve_percent=share) for name, share in step.classes],
    )

    def announce(payload: EventPayload) -> Envelope:
        return Envelope.wrap(payload, hub=HUB, correlation_id="seq-policy")

    async with pool.acquire() as conn, conn.transaction():
        uow = UnitOfWork(conn)
        await put_policy(uow, HUB, sku, rules, announce)
        await uow.flush()


HOLDING = """
SELECT order_id, sku, sum(quantity) FILTER (WHERE state = 'held') AS held,
       coalesce(sum(quantity) FILTER (WHERE state = 'fulfilled'), 0) AS fulfilled
FROM allocations GROUP BY order_id, sku
HAVING sum(quantity) FILTER (WHERE state = 'held') > 0
ORDER BY order_id
"""


async def snapshot(conn: asyncpg.Connection) -> dict[str, list[str]]:
    """Every row of every table of the schema, as text."""
    return {
        table: [row[0] for row in await conn.fetch(f"SELECT t::text FROM {table} AS t ORDER BY 1")]
        for table in await _tables(conn)
    }


async def _tables(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", SCHEMA)
    return sorted(row["tablename"] for row in rows)


async def run_step(pool: asyncpg.Pool, scenario: Scenario, step) -> None:
    match step:
        case Batch(kinds):
            batch = scenario.resolve(kinds, await pool.fetch(HOLDING))
            if batch:
                await consume(pool, batch)
                scenario.delivered(batch)
        case Redeliver(picks):
            if scenario.sent:
                batch = [scenario.sent[pick % len(scenario.sent)] for pick in picks]
                async with pool.acquire() as conn:
                    before = await snapshot(conn)
                    await consume(pool, batch)
                    assert await snapshot(conn) == before, "a duplicate changed a table"
        case Expire(picks):
            await expire(pool, picks)
        case SetPolicy():
            await set_policy(pool, scenario.sku(step.product), step)
        case LateOrdersArrive():
            while scenario.held_back:
                batch, scenario.held_back = scenario.held_back[:5], scenario.held_back[5:]
                await consume(pool, batch)
                scenario.delivered(batch)
        case _:
            raise AssertionError(f"unknown step {step}")


async def check_model(conn: asyncpg.Connection, scenario: Scenario) -> None:
    """What the events sent imply: every order that arrived is in the queue, cancelled if its
    cancel arrived too (before or after it); every event id is in the inbox once."""
    queue = {row["order_id"]: row for row in await conn.fetch("SELECT * FROM queue")}
    assert set(queue) == set(scenario.placed)
    for order_id, sku in scenario.placed.items():
        assert queue[order_id]["sku"] == sku
        assert (queue[order_id]["state"] == "cancelled") == (order_id in scenario.cancelled)
    inbox = await conn.fetchval("SELECT count(*) FROM inbox")
    assert inbox == len({envelope.id for envelope in scenario.sent})


async def start_afresh(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        tables = [t for t in await _tables(conn) if t != "schema_migrations"]
        await conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
