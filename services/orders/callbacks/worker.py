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

from services.orders.callbacks.destination import Destinations, callback_session
from services.orders.callbacks.post import Outcome, post_callback
from services.orders.store.callbacks import ATTEMPT_FAILED, CLAIM, CLAIM_TURN, DELIVERED
from shared.backoff import RetryPolicy
from shared.web import DATABASE
from shared.worker import Doorbell, background, drain_forever

log = structlog.get_logger(__name__)

CHANNEL = "orders_callbacks"  # rung by the trigger: <schema>_callbacks
# A lease outlives the partner's timeout by this much: room to record the outcome.
LEASE_MARGIN_SECONDS = 30.0


@dataclass(frozen=True)
class DeliveryRules:
    retry: RetryPolicy
    timeout_seconds: float
    in_flight: int  # callbacks this worker posts at once
    per_partner: int  # callbacks in flight to one partner, across all workers
    destinations: Destinations  # where a callback may go (destination.py)


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
