"""Sends the messages routed to one channel, several at once, and records what became of each.

A message is claimed for a lease (no transaction stays open while a provider answers), sent, and
its outcome written in one short transaction. A claim that dies comes due again when its lease
runs out and is sent again with the same message id: the provider's idempotency key where it has
one, the email's Message-ID. Each channel has its own sender, so a provider that is slow or down
delays its own messages and no others.
"""

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog

from services.notifier import store
from services.notifier.channels.base import (
    Accepted,
    Channel,
    Outcome,
    Outgoing,
    SendFailure,
)
from services.notifier.outcomes import announce_failed, announce_sent, record_attempt
from services.notifier.router import OPTED_OUT_ANSWER
from services.notifier.templates import render
from shared.backoff import RetryPolicy
from shared.worker import Doorbell

log = structlog.get_logger(__name__)


class Sender:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        channel: Channel,
        retry: RetryPolicy,
        concurrency: int,
        lease_seconds: float,
        doorbell: Doorbell,
    ) -> None:
        self.pool = pool
        self.channel = channel
        self.retry = retry
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.doorbell = doorbell
        self._in_flight: set[asyncio.Task] = set()

    async def send_batch(self) -> int:
        """Claim as many due messages as there are free slots and start sending them; return
        how many were claimed. A finished send rings the doorbell, so its slot is refilled."""
        free = self.concurrency - len(self._in_flight)
        if free <= 0:
            return 0
        async with self.pool.acquire() as conn:
            claimed = await conn.fetch(store.CLAIM, self.channel.name, free, self.lease_seconds)
        for message in claimed:
            task = asyncio.create_task(self._deliver(message))
            self._in_flight.add(task)
            task.add_done_callback(self._finished)
        return len(claimed)

    def _finished(self, task: asyncio.Task) -> None:
        self._in_flight.discard(task)
        self.doorbell.ring()

    async def close(self, grace_seconds: float) -> None:
        """Let the sends under way finish for up to `grace_seconds`; any still going then are
        cancelled, and their leases bring them back."""
        if self._in_flight:
            _, pending = await asyncio.wait(self._in_flight, timeout=grace_seconds)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self.channel.close()

    async def _deliver(self, message: asyncpg.Record) -> None:
        with structlog.contextvars.bound_contextvars(
            correlation_id=message["correlation_id"],
            message_id=str(message["id"]),
            channel=self.channel.name,
        ):
            try:
                await self._send(message)
            except (OSError, asyncpg.PostgresError) as error:
                # The outcome could not be written: the lease brings the message back.
                log.warning("message outcome not recorded", error=repr(error))

    async def _send(self, message: asyncpg.Record) -> None:
        if message["opted_out"]:  # since it was routed here
            await self._write(message, store.REROUTE, "opted_out", OPTED_OUT_ANSWER, ring=True)
            return
        try:
            content = render(
                message["template"],
                message["language"],
                message["recipient_name"],
                message["params"],
            )
        except (LookupError, TypeError, ValueError) as error:  # no retry can mend it
            await self._give_up(message, "permanent", f"cannot be written: {error}")
            return
        outgoing = Outgoing(
            message_id=message["id"],
            correlation_id=message["correlation_id"],
            address=message["address"],
            recipient_name=message["recipient_name"],
            content=content,
        )
        try:
            accepted = await self.channel.send(outgoing)
        except SendFailure as failure:
            await self._failed(message, failure)
        except Exception as error:  # a fault of ours in an adapter: keep the message, say so
            log.exception("channel raised")
            await self._failed(message, SendFailure(Outcome.TEMPORARY, repr(error)))
        else:
            await self._accepted(message, accepted)

    async def _accepted(self, message: asyncpg.Record, accepted: Accepted) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            ours = await conn.fetchval(
                store.SENT, message["id"], message["attempts"], accepted.provider_id
            )
            await record_attempt(
                conn, message, self.channel.name, "accepted", accepted.answer, accepted.provider_id
            )
            if ours:
                await announce_sent(conn, message, self.channel.name)
        log.info("message sent", template=message["template"], provider_id=accepted.provider_id)

    async def _failed(self, message: asyncpg.Record, failure: SendFailure) -> None:
        if failure.outcome is Outcome.PERMANENT:
            await self._write(message, store.FALL_BACK, "permanent", failure.answer, ring=True)
            log.warning("channel cannot reach recipient; falling back", answer=failure.answer)
            return
        now = datetime.now(UTC)
        retry_at = self.retry.next_attempt(message["attempts"], message["routed_at"], now)
        if retry_at is None:
            await self._give_up(
                message,
                failure.outcome.value,
                f"gave up after {message['attempts']} attempts: {failure.answer}",
            )
            return
        if failure.retry_after is not None:
            retry_at = max(retry_at, now + timedelta(seconds=failure.retry_after))
        await self._write(
            message, store.RETRY_AT, failure.outcome.value, failure.answer, extra=(retry_at,)
        )
        log.warning(
            "message delayed",
            outcome=failure.outcome.value,
            answer=failure.answer,
            retry_at=retry_at,
        )

    async def _give_up(self, message: asyncpg.Record, outcome: str, reason: str) -> None:
        """The message failed for good: written, announced, and never tried again."""
        async with self.pool.acquire() as conn, conn.transaction():
            ours = await conn.fetchval(store.GAVE_UP, message["id"], message["attempts"], reason)
            await record_attempt(conn, message, self.channel.name, outcome, reason)
            if ours:
                await announce_failed(conn, message, self.channel.name, reason)
        log.error("message failed", reason=reason)

    async def _write(
        self,
        message: asyncpg.Record,
        update: str,
        outcome: str,
        answer: str,
        *,
        extra: tuple = (),
        ring: bool = False,
    ) -> None:
        """The attempt's row and the message's update in one transaction; `ring` wakes the
        router, which chooses the message's channel again."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.fetchval(update, message["id"], message["attempts"], answer, *extra)
            await record_attempt(conn, message, self.channel.name, outcome, answer)
            if ring:
                await conn.execute(store.RING_ROUTER)
