"""Old rows pruned past their retention (shared/pruning.py), by the services as they run: what
is past it goes, what is younger or still needed (a pending callback, a pending message's
attempts, an unanswered inbound message) stays.

The rows aged here are far past every default retention and the young ones well within it, so
the replicas that prune every moment touch nothing any other test wrote or reads."""

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg

from shared.pruning import Retention, deleting, prune
from tests.support.stack import Stack
from tools.client import HubClient, wait_until

BUYER = {"name": "Ibu Sari", "type": "individual", "region": "Palangka Raya"}
OLD = "now() - interval '400 days'"


async def test_each_service_prunes_what_is_past_its_retention_and_keeps_the_rest(
    client: HubClient, hub: str, stack: Stack, database: asyncpg.Connection, tmp_path: Path
):
    partner = await client.create_partner("Mitra pruning", [hub])
    order = await client.place_order(hub, "masker-kain", 1, BUYER)
    rows = await _aged_and_young_rows(
        database, hub, uuid.UUID(partner["partner"]["id"]), order["id"]
    )

    replicas = [
        stack.replica(name, tmp_path / f"{name}.log", env={"PRUNE_EVERY_SECONDS": "0.2"})
        for name in ("orders", "allocator", "notifier", "intake")
    ]
    for replica in replicas:
        replica.start()
    try:
        await asyncio.gather(*(replica.wait_ready() for replica in replicas))

        async def aged_gone() -> bool:
            return not any([await _count(database, where) for where in rows["aged"]])

        await wait_until(aged_gone, what="the aged rows pruned")
    finally:
        await asyncio.gather(*(asyncio.to_thread(replica.stop) for replica in replicas))

    kept = {where: await _count(database, where) for where in rows["kept"]}
    assert all(kept.values()), f"rows within retention or still needed were pruned: {kept}"


async def test_a_pass_prunes_a_backlog_in_bounded_batches(database: asyncpg.Connection, box):
    schema = f"pruning_{uuid.uuid4().hex[:8]}"
    await database.execute(f"CREATE SCHEMA {schema}")
    try:
        await database.execute(
            f"CREATE TABLE {schema}.rows (at timestamptz NOT NULL);"
            f"INSERT INTO {schema}.rows SELECT now() - interval '2 days' "
            " FROM generate_series(1, 7);"
            f"INSERT INTO {schema}.rows SELECT now() FROM generate_series(1, 3)"
        )
        rule = _retention(schema)
        pool = await asyncpg.create_pool(box.database_url, min_size=1, max_size=1)
        try:
            assert await prune(pool, "test", [rule], batch_rows=2) == {"rows": 7}
            assert await prune(pool, "test", [rule], batch_rows=2) == {"rows": 0}
        finally:
            await pool.close()
        assert await database.fetchval(f"SELECT count(*) FROM {schema}.rows") == 3
    finally:
        await database.execute(f"DROP SCHEMA {schema} CASCADE")


def _retention(schema: str) -> Retention:
    statement = deleting(f"{schema}.rows", "at < now() - $1::interval")
    return Retention("rows", statement, timedelta(days=1))


async def _aged_and_young_rows(
    database: asyncpg.Connection, hub: str, partner_id: uuid.UUID, order_id: str
) -> dict[str, list[str]]:
    """Writes rows of every pruned kind, past and within retention; answers the `WHERE`s that
    find each (table, condition), as the aged ones that must go and the ones that must stay."""
    mark = uuid.uuid4().hex[:12]
    order = uuid.UUID(order_id)
    aged, kept = [], []
    for schema in ("orders", "allocator", "notifier", "intake"):
        old_id, young_id = uuid.uuid4(), uuid.uuid4()
        await database.execute(
            f"INSERT INTO {schema}.inbox (event_id, event_type, handled_at) "
            f"VALUES ($1, 'test.pruned', {OLD}), ($2, 'test.pruned', now() - interval '29 days')",
            old_id,
            young_id,
        )
        aged.append(f"{schema}.inbox WHERE event_id = '{old_id}'")
        kept.append(f"{schema}.inbox WHERE event_id = '{young_id}'")

    await database.execute(
        "INSERT INTO orders.idempotency_keys (owner, key, request_hash, status, response, "
        f"created_at) VALUES ($1, 'old', 'h', 201, '{{}}', {OLD}), "
        "($1, 'young', 'h', 201, '{}', now() - interval '23 hours')",
        mark,
    )
    aged.append(f"orders.idempotency_keys WHERE owner = '{mark}' AND key = 'old'")
    kept.append(f"orders.idempotency_keys WHERE owner = '{mark}' AND key = 'young'")
    for state, age, kind in (
        ("delivered", OLD, aged),
        ("failed", OLD, aged),
        ("pending", OLD, kept),
        ("delivered", "now() - interval '29 days'", kept),
    ):
        # Due tomorrow: the stack's callback sender leaves the pending one alone (taken, it is
        # given up, its partner having no URL, and then rightly pruned: the test would fail).
        callback = await database.fetchval(
            "INSERT INTO orders.callbacks (partner_id, order_id, previous_status, status, "
            "order_snapshot, state, created_at, next_attempt_at) "
            f"VALUES ($1, $2, 'new', 'queued', '{{}}', $3, {age}, now() + interval '1 day') "
            "RETURNING id",
            partner_id,
            order,
            state,
        )
        kind.append(f"orders.callbacks WHERE id = '{callback}'")

    await database.execute(
        "INSERT INTO allocator.buyer_days (hub, sku, day, buyer_key, units) VALUES "
        "($1, 'masker-kain', current_date - 20, $2, 1), ($1, 'masker-kain', current_date, $2, 1)",
        hub,
        mark,
    )
    aged.append(f"allocator.buyer_days WHERE buyer_key = '{mark}' AND day < current_date")
    kept.append(f"allocator.buyer_days WHERE buyer_key = '{mark}' AND day = current_date")

    for status, kind in (("sent", aged), ("pending", kept)):
        message = uuid.uuid4()
        await database.execute(
            "INSERT INTO notifier.messages (id, event_id, correlation_id, hub, recipient_key, "
            "template, params, status, next_attempt_at) "
            "VALUES ($1, $2, 'test', $3, $4, 'test', '{}', $5, now() + interval '1 day')",
            message,
            uuid.uuid4(),
            hub,
            mark,
            status,
        )
        await database.execute(
            "INSERT INTO notifier.delivery_attempts (message_id, channel, outcome, answer, at) "
            f"VALUES ($1, 'sms', 'temporary', 'test', {OLD})",
            message,
        )
        kind.append(f"notifier.delivery_attempts WHERE message_id = '{message}'")
    for provider_id, handled, age, kind in (
        (f"{mark}-old", "now()", OLD, aged),
        (f"{mark}-unanswered", "NULL", OLD, kept),
        (f"{mark}-young", "now()", "now()", kept),
    ):
        await database.execute(
            "INSERT INTO notifier.inbound_messages (channel, provider_id, phone, text, sent_at, "
            f"received_at, correlation_id, handled_at, next_attempt_at) "
            f"VALUES ('sms', $1, '+620000000000', 'x', {age}, {age}, 'test', {handled}, "
            "now() + interval '1 day')",
            provider_id,
        )
        kind.append(f"notifier.inbound_messages WHERE provider_id = '{provider_id}'")
    for provider_id, age, kind in ((f"{mark}-old", OLD, aged), (f"{mark}-young", "now()", kept)):
        await database.execute(
            "INSERT INTO notifier.whatsapp_statuses (provider_id, status, phone, at, recorded_at, "
            f"applied_at) VALUES ($1, 'read', '620000000000', {age}, {age}, now())",
            provider_id,
        )
        kind.append(f"notifier.whatsapp_statuses WHERE provider_id = '{provider_id}'")
    for phone, age, kind in ((f"+{mark}1", OLD, aged), (f"+{mark}2", "now()", kept)):
        await database.execute(
            f"INSERT INTO notifier.conversations (phone, updated_at) VALUES ($1, {age})", phone
        )
        kind.append(f"notifier.conversations WHERE phone = '{phone}'")
    return {"aged": aged, "kept": kept}


async def _count(database: asyncpg.Connection, where: str) -> int:
    return await database.fetchval(f"SELECT count(*) FROM {where}")
