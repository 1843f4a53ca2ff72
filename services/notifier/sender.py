"""Sends the messages routed to one channel, several at once, and records what became of each.

A message is claimed for a lease (no transaction stays open while a provider answers), sent, and
its result written. A claim that dies comes due again when its lease runs out and is sent again
with the same message id: the provider's idempotency key where it has one, the email's
Message-ID. A result the database cannot take at once (it is away) is kept and written when it
can, while the lease lasts, so a message the provider took is not sent again for want of its
record. Each channel has its own sender, so a provider that is slow or down delays its own
messages and no others.

Results are written by group commit: a send that finishes while a write is under way waits for
the next one, which takes every result that came in meanwhile, in one transaction.
"""

import asyncio
from datetime import UTC, datetime

import asyncpg
import structlog

from services.notifier.channels.base import Channel, Outcome, SendFailure
from services.notifier.handlers import send
from services.notifier.store import sends
from services.notifier.store.sends import Claimed, Result
from shared.backoff import RetryPolicy
from shared.worker import Doorbell

log = structlog.get_logger(__name__)

# A result's write failed for want of the database (a pooled connection Postgres ended can fail
# with asyncpg's client-side errors, MagicStack/asyncpg#784): worth trying again.
DATABASE_AWAY = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


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
        site: str = "",
    ) -> None:
        self.pool = pool
        self.site = site  # the buyers' site, for the tracking links; "" for none
        self.channel = channel
        self.retry = retry
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.doorbell = doorbell
        self._in_flight: set[asyncio.Task] = set()
        self._refill = max(1, concurrency // 4)
        self._more_may_wait = False
        self._to_write: list[tuple[Result, asyncio.Future]] = []
        self._writing: asyncio.Task | None = None

    async def send_batch(self) -> int:
        """Claim as many due messages as there are free slots and start sending them; return
        how many were claimed. When the slots cut a claim short, finished sends ring the doorbell
        once a quarter of them are free, so slots are refilled a few at a time: a claim per
        message cost as much as the message's send."""
        free = self.concurrency - len(self._in_flight)
        # Only a claim the free slots cut short may have left messages waiting: else a finished
        # send would ring for an empty claim, one per message at a low rate.
        self._more_may_wait = free <= 0
        if free <= 0:
            return 0
        claimed = await sends.claim(self.pool, self.channel.name, free, self.lease_seconds)
        self._more_may_wait = len(claimed) == free
        for message in claimed:
            task = asyncio.create_task(self._deliver(message))
            self._in_flight.add(task)
            task.add_done_callback(self._finished)
        return len(claimed)

    def _finished(self, task: asyncio.Task) -> None:
        self._in_flight.discard(task)
        if self._more_may_wait and self.concurrency - len(self._in_flight) >= self._refill:
            self._more_may_wait = False
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

    async def _deliver(self, message: Claimed) -> None:
        """Send, and record the outcome; the send is logged with the others written with it."""
        lease_ends = asyncio.get_running_loop().time() + self.lease_seconds
        result = await self._send(message)
        wait = 0.1
        while True:
            try:
                await self._record(result)
                return
            except DATABASE_AWAY as error:
                # Keep the outcome and write it once the database is back, while the claim is
                # ours: else the lease brings the message back and it goes again.
                if asyncio.get_running_loop().time() + wait > lease_ends - 1:
                    log.warning(
                        "message outcome not recorded",
                        error=repr(error),
                        **_about(message, self.channel.name),
                    )
                    return
                log.warning(
                    "message outcome not recorded yet; retrying",
                    error=repr(error),
                    **_about(message, self.channel.name),
                )
                await asyncio.sleep(wait)
                wait = min(wait * 2, 2.0)

    async def _send(self, message: Claimed) -> Result:
        name = self.channel.name
        prepared = send.outgoing(message, name, self.site)
        if isinstance(prepared, Result):
            return prepared
        try:
            return send.accepted(message, name, await self.channel.send(prepared))
        except SendFailure as failure:
            return send.failed(message, name, failure, self.retry, datetime.now(UTC))
        except Exception as error:  # a fault of ours in an adapter: keep the message, say so
            log.exception("channel raised", **_about(message, name))
            failure = SendFailure(Outcome.TEMPORARY, repr(error))
            return send.failed(message, name, failure, self.retry, datetime.now(UTC))

    async def _record(self, result: Result) -> None:
        """Written with whatever other results come in while the write before is under way."""
        written = asyncio.get_running_loop().create_future()
        self._to_write.append((result, written))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write_pending())
        await written

    async def _write_pending(self) -> None:
        while self._to_write:
            batch, self._to_write = self._to_write, []
            try:
                await self._write([result for result, _ in batch])
            except Exception as error:
                for _, written in batch:
                    if not written.done():
                        written.set_exception(error)
            else:
                for _, written in batch:
                    if not written.done():
                        written.set_result(None)

    async def _write(self, results: list[Result]) -> None:
        """Every result's attempt row and message update in one transaction (`store.sends`)."""
        await sends.write_results(self.pool, self.channel.name, results)
        _log(results)


def _about(message: Claimed, channel: str) -> dict[str, str]:
    """What a log line about one message names."""
    return {
        "correlation_id": message.correlation_id,
        "message_id": str(message.id),
        "channel": channel,
    }


def _log(results: list[Result]) -> None:
    """The messages sent as one line for the write (naming each message, its correlation id and
    the provider's id: a line per message cost more than the rest of the write); any other
    outcome a line of its own."""
    sent = [r for r in results if r.then == "sent"]
    if sent:
        log.info(
            "messages sent",
            channel=sent[0].attempt.channel,
            count=len(sent),
            message_ids=[str(r.attempt.message_id) for r in sent],
            provider_ids=[r.attempt.provider_id for r in sent],
            correlation_ids=sorted({r.message.correlation_id for r in sent}),
        )
    for result in results:
        attempt = result.attempt
        about = _about(result.message, attempt.channel)
        if result.then == "retry":
            log.warning(
                "message delayed",
                outcome=attempt.outcome,
                answer=attempt.answer,
                retry_at=result.retry_at,
                **about,
            )
        elif result.then == "give_up":
            log.error("message failed", reason=attempt.answer, **about)
        elif result.then != "sent":
            log.info(
                "message goes back to the router",
                outcome=attempt.outcome,
                answer=attempt.answer,
                **about,
            )
