"""Posting status callbacks to partners: signed, concurrent, retried until given up on.

The trigger of migration 0004 records a row per status change of a partner's order and rings
`orders_callbacks`. Workers of every replica claim due rows with a lease, in a short transaction
that holds nothing open while the partner answers, and post them concurrently. A partner may
have at most `per_partner` callbacks in flight across all replicas, so a slow or dead one takes
a few slots and never holds up the others. Delivery is at least once: a worker dying after the
partner answered but before recording it leaves the row to be sent again when its lease ends.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
import asyncpg
import structlog
from aiohttp import web

from services.orders.callback_destination import Destinations, callback_session
from services.orders.callback_post import Outcome, post_callback
from shared.backoff import RetryPolicy
from shared.web import DATABASE
from shared.worker import Doorbell, background, drain_forever

log = structlog.get_logger(__name__)

CHANNEL = "orders_callbacks"  # rung by the trigger: <schema>_callbacks
# A lease outlives the partner's timeout by this much: room to record the outcome.
LEASE_MARGIN_SECONDS = 30.0

# Claims take turns across replicas, so each sees the leases the others just took and the
# per-partner cap holds; a claim is one short transaction.
CLAIM_TURN = "SELECT pg_advisory_xact_lock(hashtext('orders:callbacks:claim'))"
# $1: the per-partner cap, $2: how many this worker can take, $3: the lease in seconds.
# Partners take turns: every partner's oldest due callback comes before anyone's second.
# The state and lease are checked again on the locked row, which may have changed meanwhile.
CLAIM = """
WITH in_flight AS (
    SELECT partner_id, count(*) AS leased
    FROM callbacks
    WHERE state = 'pending' AND leased_until > now()
    GROUP BY partner_id
),
due AS (
    SELECT id, partner_id, next_attempt_at,
           row_number() OVER (PARTITION BY partner_id ORDER BY next_attempt_at, id) AS place
    FROM callbacks
    WHERE state = 'pending'
      AND next_attempt_at <= now()
      AND (leased_until IS NULL OR leased_until <= now())
),
chosen AS (
    SELECT callbacks.id
    FROM callbacks
    JOIN due ON due.id = callbacks.id
    LEFT JOIN in_flight ON in_flight.partner_id = due.partner_id
    WHERE due.place + coalesce(in_flight.leased, 0) <= $1
      AND callbacks.state = 'pending'
      AND (callbacks.leased_until IS NULL OR callbacks.leased_until <= now())
    ORDER BY due.place, due.next_attempt_at
    LIMIT $2
    FOR UPDATE OF callbacks SKIP LOCKED
)
UPDATE callbacks
SET leased_until = now() + make_interval(secs => $3), attempts = callbacks.attempts + 1
FROM chosen, partners
WHERE callbacks.id = chosen.id AND partners.id = callbacks.partner_id
RETURNING callbacks.id, callbacks.partner_id, callbacks.previous_status, callbacks.order_snapshot,
          callbacks.created_at, callbacks.attempts, callbacks.retrying_since,
          partners.callback_url, partners.callback_secret
"""
# Both outcomes count only for the attempt that holds the row: one whose lease ran out while
# the partner was slow may have been claimed again since. A delivery, and a give-up, go into
# the order's history in the same statement.
_CALLBACK_HISTORY = """
INSERT INTO order_history (order_id, at, kind, detail)
SELECT order_id, now(), '{kind}', jsonb_build_object(
    'callback_id', id, 'partner_id', partner_id, 'previous_status', previous_status,
    'status', status, 'attempts', attempts, 'http_status', last_status, 'error', last_error)
FROM outcome
"""
DELIVERED = """
WITH outcome AS (
    UPDATE callbacks
    SET state = 'delivered', delivered_at = now(), last_status = $3, last_error = NULL,
        leased_until = NULL
    WHERE id = $1 AND attempts = $2
    RETURNING *
)
""" + _CALLBACK_HISTORY.format(kind="callback_sent")
# $3: the next attempt, or null to give up; $6: the window the attempt was claimed in. A replay
# while the attempt was under way opened a new window, which keeps the replay's "due now".
ATTEMPT_FAILED = f"""
WITH attempt AS (
    UPDATE callbacks
    SET state = CASE WHEN $3::timestamptz IS NULL AND retrying_since = $6 THEN 'failed'
                     ELSE 'pending' END,
        next_attempt_at = CASE WHEN retrying_since = $6 THEN coalesce($3, next_attempt_at)
                               ELSE next_attempt_at END,
        last_status = $4, last_error = $5, leased_until = NULL
    WHERE id = $1 AND attempts = $2
    RETURNING *
), outcome AS (
    SELECT * FROM attempt WHERE state = 'failed'
), given_up AS ({_CALLBACK_HISTORY.format(kind="callback_failed")})
SELECT state, next_attempt_at FROM attempt
"""


@dataclass(frozen=True)
class DeliveryRules:
    retry: RetryPolicy
    timeout_seconds: float
    in_flight: int  # callbacks this worker posts at once
    per_partner: int  # callbacks in flight to one partner, across all workers
    destinations: Destinations  # where a callback may go (callback_destination.py)


@dataclass
class CallbackSender:
    pool: asyncpg.Pool
    session: aiohttp.ClientSession
    rules: DeliveryRules
    doorbell: Doorbell
    posting: set[asyncio.Task] = field(default_factory=set)

    async def claim_and_post(self) -> int:
        """Claim as many due callbacks as there are free slots and start posting them."""
        free = self.rules.in_flight - len(self.posting)
        if free <= 0:
            return 0
        lease = self.rules.timeout_seconds + LEASE_MARGIN_SECONDS
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(CLAIM_TURN)
            claimed = await conn.fetch(CLAIM, self.rules.per_partner, free, lease)
        for row in claimed:
            task = asyncio.create_task(self.post(row))
            self.posting.add(task)
            task.add_done_callback(self._posted)
        return len(claimed)

    def _posted(self, task: asyncio.Task) -> None:
        self.posting.discard(task)
        self.doorbell.ring()  # a slot is free, and the partner may have another due

    async def post(self, row: asyncpg.Record) -> None:
        """One attempt at one callback, its outcome recorded; never raises but to cancel."""
        context = {
            "correlation_id": str(row["id"]),  # one callback's attempts read together
            "partner_id": str(row["partner_id"]),
            "callback_id": str(row["id"]),
            "attempt": row["attempts"],
        }
        with structlog.contextvars.bound_contextvars(**context):
            try:
                outcome = await post_callback(self.session, row, self.rules.destinations)
            except Exception as error:  # ours, not the partner's: still an attempt, to give up on
                log.exception("callback attempt broke")
                outcome = Outcome(None, type(error).__name__)
            try:
                if outcome.error is None:
                    await self.pool.execute(DELIVERED, row["id"], row["attempts"], outcome.status)
                    log.info("callback delivered", status=outcome.status)
                else:
                    await self._failed(row, outcome)
            except Exception as error:  # the database away: the lease runs out, it goes again
                log.warning("callback outcome not recorded", error=repr(error))

    async def _failed(self, row: asyncpg.Record, outcome: Outcome) -> None:
        now = datetime.now(UTC)
        retry_at = self.rules.retry.next_attempt(row["attempts"], row["retrying_since"], now)
        recorded = await self.pool.fetchrow(
            ATTEMPT_FAILED,
            row["id"],
            row["attempts"],
            retry_at,
            outcome.status,
            outcome.error,
            row["retrying_since"],
        )
        said = {"status": outcome.status, "error": outcome.error}
        if recorded is not None and recorded["state"] == "failed":
            log.error("callback given up", **said)
        elif recorded is not None:
            retry_in = round((recorded["next_attempt_at"] - now).total_seconds(), 3)
            log.warning("callback attempt failed", **said, retry_in_seconds=retry_in)
        else:  # claimed again since, its lease having run out
            log.warning("callback attempt failed", **said)

    async def finish(self) -> None:
        """Let the posts under way end (each within the timeout), then stop."""
        if self.posting:
            await asyncio.wait(self.posting, timeout=self.rules.timeout_seconds)
        for task in list(self.posting):
            task.cancel()
        await asyncio.gather(*self.posting, return_exceptions=True)


def callback_worker(
    database_url: str, rules: DeliveryRules, poll_seconds: float
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context: the sender runs for the app's lifetime, woken by the trigger's NOTIFY,
    by a finished post, or by the poll period (which is when retries come due)."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        doorbell = Doorbell(database_url, CHANNEL, poll_seconds)
        timeout = aiohttp.ClientTimeout(total=rules.timeout_seconds)
        async with callback_session(rules.destinations, timeout=timeout) as session:
            sender = CallbackSender(app[DATABASE], session, rules, doorbell)
            draining = drain_forever(
                sender.claim_and_post, doorbell=doorbell, batch_size=1, name="callback sender"
            )
            async with background(draining):
                yield
            await sender.finish()

    return context
