"""Faults of the services' processes, with orders and deliveries flowing: a crash (SIGKILL) of
each service, a graceful stop (SIGTERM) of each, a frozen allocator, and the outbox relay killed
between publishing its events and marking them sent."""

import asyncio
import json
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

from tests.faults.stream import Stream
from tests.faults.world import CONSUMER_TIMEOUT_MS, Faults
from tests.support.bus import EventTap
from tools.client import wait_until
from tools.local_services import SERVICES

# SIGTERM: how long the test waits for a graceful exit before it kills the service (and
# fails): only a guard, far above any exit on a loaded machine. How long each took is in the
# suite's summary; speed belongs in bench/.
GRACEFUL_EXIT_GUARD_SECONDS = 120.0
# What the broker logs when a consumer held a delivery past the consumer timeout.
TIMED_OUT = "has timed out waiting for delivery acknowledgement"


@pytest.mark.parametrize("name", SERVICES)
async def test_a_service_killed_mid_stream_and_restarted_loses_nothing(faults: Faults, name: str):
    service = faults.world.stack[name]

    async def kill_and_restart(stream: Stream) -> str:
        await stream.reached(40)
        service.kill()
        await stream.after(20)  # the stream goes on without it meanwhile
        await faults.world.restart(name)
        return "SIGKILL, restarted after 20 more orders"

    # A notifier killed between a provider's answer and its record sends that message again.
    await faults.run(f"SIGKILL {name}", kill_and_restart, sends_may_repeat=name == "notifier")


async def test_each_service_stopped_with_sigterm_exits_0_and_loses_nothing(faults: Faults):
    """Each in turn, mid-stream: it stops taking work, finishes what it holds (the batch in
    hand, the sends under way) and exits 0; what came meanwhile waits for it. Nothing is sent
    twice: no send is cut off."""
    exits: dict[str, tuple[int | None, float]] = {}
    shutdown_logs: dict[str, list[dict]] = {}

    async def stop_each_in_turn(stream: Stream) -> str:
        for name in SERVICES:
            service = faults.world.stack[name]
            await stream.after(20)
            logged = service.log_path.stat().st_size
            began = time.monotonic()
            code = await asyncio.to_thread(service.stop, GRACEFUL_EXIT_GUARD_SECONDS)
            exits[name] = (code, time.monotonic() - began)
            with service.log_path.open() as log:
                log.seek(logged)
                shutdown_logs[name] = [json.loads(line) for line in log if line.strip()]
            await stream.after(20)  # while it is away
            await faults.world.restart(name)
        slowest = max(seconds for _, seconds in exits.values())
        return f"SIGTERM each in turn; exit 0, slowest in {slowest:.1f}s"

    await faults.run("SIGTERM each service", stop_each_in_turn)
    for name, (code, seconds) in exits.items():
        log = faults.world.stack[name].log_tail()
        assert code == 0, f"{name} exited {code} after {seconds:.1f}s:\n{log}"
        # Nothing was cut short on the way out: no batch or send left unfinished, no error.
        troubles = [
            line
            for line in shutdown_logs[name]
            if line["level"] in ("error", "critical")
            or line["event"].startswith(("the batch in hand did not finish", "batch abandoned"))
        ]
        assert troubles == [], f"{name} on its way out: {troubles}"


async def test_an_allocator_frozen_past_the_consumer_timeout_catches_up(faults: Faults):
    """SIGSTOP holds the allocator's deliveries unacknowledged past the broker's consumer
    timeout: the broker closes its channel (a quorum queue keeps the deliveries with the channel
    until the client answers the close). On SIGCONT the allocator finishes what it had (its acks
    are lost with the channel), the deliveries go back to the queue, the allocator consumes
    again on a new channel and takes the redelivered events as duplicates."""
    world = faults.world
    allocator = world.stack["allocator"]

    async def freeze_and_thaw(stream: Stream) -> str:
        await stream.reached(40)
        timed_out = world.rabbit.logged(TIMED_OUT)
        frozen_at = time.monotonic()
        allocator.process.send_signal(signal.SIGSTOP)
        try:

            async def broker_timed_it_out() -> bool:
                return world.rabbit.logged(TIMED_OUT) > timed_out

            await wait_until(
                broker_timed_it_out,
                what="the broker to time out the frozen allocator's deliveries",
                # The broker checks consumers' timeouts now and then; a guard far above that.
                timeout=CONSUMER_TIMEOUT_MS / 1000 + 120,
            )
        finally:
            allocator.process.send_signal(signal.SIGCONT)
        frozen = time.monotonic() - frozen_at
        return f"SIGSTOP {frozen:.1f}s, past the consumer timeout ({CONSUMER_TIMEOUT_MS} ms)"

    await faults.run("SIGSTOP allocator past consumer timeout", freeze_and_thaw)


RELAY_WAITING_TO_COMMIT = """
SELECT count(*) FROM pg_stat_activity
WHERE application_name = $1 AND wait_event = 'advisory' AND query ILIKE 'COMMIT%'
"""
END_HELD_COMMIT = """
SELECT pg_terminate_backend(pid) FROM pg_stat_activity
WHERE application_name = $1 AND wait_event = 'advisory' AND query ILIKE 'COMMIT%'
"""
SERVICE_SESSIONS = "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
HOLD_KEY = 0x706C7574  # an advisory lock key of the test's


@asynccontextmanager
async def commits_held(database_url: str, schema: str) -> AsyncIterator[asyncpg.Connection]:
    """While inside, a transaction that deleted from the schema's outbox waits at its COMMIT: a
    deferred trigger of the test's takes an advisory lock the test holds. The relay's claim is
    its delete, so it can claim and publish, not make the claim stick."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", HOLD_KEY)
        await conn.execute(
            f"""
            CREATE FUNCTION {schema}.test_hold_delete() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_advisory_xact_lock_shared({HOLD_KEY}); RETURN NULL; END $$;
            CREATE CONSTRAINT TRIGGER test_hold_delete AFTER DELETE ON {schema}.outbox
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION {schema}.test_hold_delete();
            """
        )
        yield conn
    finally:
        # Let the held commit go first: dropping the trigger waits for its transaction.
        await conn.execute("SELECT pg_advisory_unlock($1)", HOLD_KEY)
        await conn.execute(
            f"""
            DROP TRIGGER IF EXISTS test_hold_delete ON {schema}.outbox;
            DROP FUNCTION IF EXISTS {schema}.test_hold_delete();
            """
        )
        await conn.close()


async def outbox_ids(conn: asyncpg.Connection, schema: str) -> set:
    return {row["event_id"] for row in await conn.fetch(f"SELECT event_id FROM {schema}.outbox")}


@pytest.mark.parametrize("name", ["orders", "allocator"])
async def test_a_relay_killed_between_publishing_and_marking_sent_publishes_again(
    faults: Faults, tap: EventTap, name: str
):
    """The window made to stay open: a trigger of the test's holds the relay's commit, after it
    claimed (deleted, not yet committed) and published a batch. Once the tap has seen the batch
    on the bus, the service is killed. Its delete never commits, so the rows stay; the restarted
    relay publishes them again, and every consumer's inbox takes the copy as a duplicate."""
    world = faults.world

    async def kill_in_the_window(stream: Stream) -> str:
        await stream.reached(40)
        async with commits_held(world.database_url, name) as conn:

            async def relay_waits_to_commit() -> bool:
                return await conn.fetchval(RELAY_WAITING_TO_COMMIT, name) > 0

            await wait_until(relay_waits_to_commit, what=f"{name}'s relay held at its commit")
            claimed = await outbox_ids(conn, name)

            def published() -> set:
                return claimed & {event.id for event in tap.events}

            async def seen_on_the_bus() -> bool:
                return bool(published())

            await wait_until(seen_on_the_bus, what="the batch published on the bus")
            world.stack[name].kill()
            # Let go, a COMMIT Postgres already has would finish: ending its session is the
            # relay dying before its COMMIT got there, and nothing of the claim is committed.
            await conn.execute(END_HELD_COMMIT, name)

            async def killed_sessions_ended() -> bool:
                return await conn.fetchval(SERVICE_SESSIONS, name) == 0

            await wait_until(killed_sessions_ended, what=f"{name}'s sessions ended")
        check = await asyncpg.connect(world.database_url)
        try:
            sent_unmarked = published() & await outbox_ids(check, name)
        finally:
            await check.close()
        assert sent_unmarked, "events the killed relay published are still in the outbox"
        await world.restart(name)

        async def published_twice() -> bool:
            seen = Counter(event.id for event in tap.events)
            return all(seen[event_id] >= 2 for event_id in sent_unmarked)

        await wait_until(published_twice, what="the batch published again")
        return f"{len(sent_unmarked)} events published, relay killed before marking, sent again"

    await faults.run(f"{name} relay killed after publish", kill_in_the_window)
