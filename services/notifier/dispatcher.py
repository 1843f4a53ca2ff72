"""Sends recorded messages after their events committed, and records what became of each.

A message is claimed with its row locked, sent, and marked in the same transaction. A crash
after the send and before the commit sends it again on restart; its stable Message-ID lets mail
clients show it once. A server that is down delays messages with backoff, never loses them.
"""

import asyncpg
import structlog
from aiosmtplib import SMTPException

from services.notifier import store
from services.notifier.mailer import CONNECTION_ERRORS, Mailer, PermanentFailure
from services.notifier.templates import render
from shared import outbox
from shared.events import Envelope, EventPayload, NotificationFailed, NotificationSent

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 10


def retry_delay_seconds(attempts: int) -> float:
    """30 s, 1 min, 2 min, ... at most an hour: a day's outage is ridden out in ten attempts."""
    return min(30.0 * 2**attempts, 3600.0)


class Dispatcher:
    def __init__(self, *, pool: asyncpg.Pool, mailer: Mailer, batch_size: int) -> None:
        self.pool = pool
        self.mailer = mailer
        self.batch_size = batch_size

    async def dispatch_batch(self) -> int:
        """Send up to one batch of due messages; return how many were handled."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(store.MESSAGES_DUE, self.batch_size)
            if not rows:
                return 0
            to_send = []
            for row in rows:
                if row["recipient_email"]:
                    to_send.append(row)
                else:
                    await self._skip(conn, row, "recipient has no email address")
            if to_send:
                await self._send_all(conn, to_send)
        return len(rows)

    async def _send_all(self, conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> None:
        try:
            async with self.mailer.connection() as smtp:
                for index, row in enumerate(rows):
                    try:
                        await self._send(conn, smtp, row)
                    except CONNECTION_ERRORS as error:
                        for unsent in rows[index:]:
                            await self._retry_later(conn, unsent, repr(error))
                        return
        except CONNECTION_ERRORS as error:  # could not connect at all
            for row in rows:
                await self._retry_later(conn, row, repr(error))

    async def _send(self, conn: asyncpg.Connection, smtp, row: asyncpg.Record) -> None:
        with structlog.contextvars.bound_contextvars(
            correlation_id=row["correlation_id"], message_id=str(row["id"])
        ):
            rendered = render(row["template"], row["recipient_name"], row["params"])
            email = self.mailer.compose(
                row["id"], row["recipient_name"], row["recipient_email"], rendered
            )
            try:
                await self.mailer.send(smtp, email)
            except PermanentFailure as failure:
                await self._fail(conn, row, str(failure))
                return
            except SMTPException as error:  # a 4xx answer: the server asks us to come back
                await self._retry_later(conn, row, repr(error))
                return
            await conn.execute(store.MESSAGE_SENT, row["id"], row["recipient_email"])
            await self._announce(conn, row, NotificationSent, {})
            log.info("message sent", template=row["template"], recipient=row["recipient_key"])

    async def _skip(self, conn: asyncpg.Connection, row: asyncpg.Record, reason: str) -> None:
        await conn.execute(store.MESSAGE_SKIPPED, row["id"], reason)
        log.info(
            "message skipped",
            reason=reason,
            template=row["template"],
            recipient=row["recipient_key"],
            correlation_id=row["correlation_id"],
        )

    async def _retry_later(self, conn: asyncpg.Connection, row: asyncpg.Record, error: str) -> None:
        if row["attempts"] + 1 >= MAX_ATTEMPTS:
            await self._fail(conn, row, f"gave up after {MAX_ATTEMPTS} attempts: {error}")
            return
        delay = retry_delay_seconds(row["attempts"])
        await conn.execute(store.MESSAGE_RETRY_LATER, row["id"], error, delay)
        log.warning(
            "message delayed", error=error, retry_in=delay, correlation_id=row["correlation_id"]
        )

    async def _fail(self, conn: asyncpg.Connection, row: asyncpg.Record, reason: str) -> None:
        await conn.execute(store.MESSAGE_FAILED, row["id"], reason)
        await self._announce(conn, row, NotificationFailed, {"reason": reason})
        log.error("message failed", reason=reason, correlation_id=row["correlation_id"])

    async def _announce(
        self, conn: asyncpg.Connection, row: asyncpg.Record, event: type[EventPayload], extra: dict
    ) -> None:
        payload = event(
            message_id=row["id"],
            template=row["template"],
            channel=row["channel"],
            order_id=row["order_id"],
            producer_id=row["producer_id"],
            **extra,
        )
        envelope = Envelope.wrap(
            payload,
            hub=row["hub"],
            correlation_id=row["correlation_id"],
            causation_id=row["event_id"],
        )
        await outbox.add(conn, envelope)
