"""Gives each message whose recipient is known its channel, or ends it when none is left.

Routing is quick database work, apart from the sending, so a slow provider never holds it up;
each channel's sender then takes the messages routed to it.
"""

import asyncpg
import structlog

from services.notifier import store
from services.notifier.outcomes import Attempt, announce_failed, record_attempts
from services.notifier.routing import CHANNELS, Choice, Reachable, address_on, choose

log = structlog.get_logger(__name__)

OPTED_OUT_ANSWER = "recipient opted out of this channel"


class Router:
    def __init__(self, *, pool: asyncpg.Pool, configured: frozenset[str], batch_size: int) -> None:
        self.pool = pool
        self.configured = configured
        self.batch_size = batch_size

    async def route_batch(self) -> int:
        """Route up to one batch of messages; return how many were handled. The routed ones
        and every opt-out passed over are written a statement each for the batch."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(store.TO_ROUTE, self.batch_size)
            if not rows:
                return 0
            addresses = {a for row in rows for a in (row["phone"], row["email"]) if a}
            opted = {tuple(o) for o in await conn.fetch(store.OPTED_OUT, list(addresses))}
            routed: list[tuple] = []
            passed_over: list[Attempt] = []
            for row in rows:
                choice = self._choose(row, opted)
                passed_over += [
                    Attempt(row["id"], c, "opted_out", OPTED_OUT_ANSWER) for c in choice.opted_out
                ]
                if choice.channel is not None:
                    routed.append((row["id"], choice.channel, choice.address, row["language"]))
                else:
                    await self._end(conn, row, choice)
            await record_attempts(conn, passed_over)
            if routed:
                await conn.execute(
                    store.ROUTED, *(list(column) for column in zip(*routed, strict=True))
                )
            for channel in {channel for _, channel, _, _ in routed}:
                await conn.execute("SELECT pg_notify($1, '')", store.lane_channel(channel))
        return len(rows)

    def _choose(self, message: asyncpg.Record, opted: set[tuple[str, str]]) -> Choice:
        person = Reachable(message["phone"], message["email"], message["preferred"])
        return choose(
            person,
            configured=self.configured,
            failed=frozenset(message["failed_channels"]),
            opted_out=frozenset(c for c in CHANNELS if (c, address_on(c, person)) in opted),
        )

    async def _end(self, conn: asyncpg.Connection, message: asyncpg.Record, choice: Choice) -> None:
        """No channel is left for the message: it ends (a failure is announced)."""
        await conn.execute(store.ENDED, message["id"], choice.ending, choice.why)
        if choice.ending == "failed":
            await announce_failed(conn, message, None, choice.why)
        log.info(
            "message not sent",
            ending=choice.ending,
            reason=choice.why,
            template=message["template"],
            correlation_id=message["correlation_id"],
            message_id=str(message["id"]),
        )
