"""The router's unit of work: a batch of messages waiting for a channel, claimed together, and
what routing them wrote (their channels, their endings, the opt-outs passed over, the failures
announced), each kind in one statement at the end."""

import uuid
from dataclasses import dataclass

import asyncpg

from services.notifier.outcomes import count_attempts, count_ended
from services.notifier.store.attempts import Attempt, insert_attempts
from services.notifier.store.columns import columns
from shared import outbox
from shared.events import Envelope

# Messages waiting for a channel whose recipient is known, with the channels the recipient
# opted out of (email by their email, the others by their phone; none for a chat's reply, which
# answers what the person just wrote); routers share them with SKIP LOCKED.
TO_ROUTE = """
SELECT m.id, m.event_id, m.correlation_id, m.hub, m.template, m.failed_channels, m.order_id,
       m.producer_id, r.phone, r.email, r.channel AS preferred, r.language,
       ARRAY(SELECT o.channel FROM opt_outs o
             WHERE r.kind <> 'chat'
               AND ((o.channel = 'email' AND o.address = r.email)
                    OR (o.channel IN ('whatsapp', 'sms') AND o.address = r.phone))) AS opted_out,
       r.kind
FROM messages m JOIN recipients r ON r.key = m.recipient_key
WHERE m.status = 'pending' AND m.channel IS NULL AND m.next_attempt_at <= now()
ORDER BY m.next_attempt_at
LIMIT $1
FOR UPDATE OF m SKIP LOCKED
"""
# A batch's routed messages at once, and the sender of each channel given some woken at
# commit. Each keeps its place in its channel's line (senders take the earliest due first), so
# a phone code, due from before anything else, goes first.
ROUTED = """
WITH routed AS (
    UPDATE messages m
    SET channel = routed.channel, address = routed.address, language = routed.language,
        routed_at = now(), next_attempt_at = least(m.next_attempt_at, now())
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])
        AS routed(id, channel, address, language)
    WHERE m.id = routed.id
    RETURNING m.channel
)
SELECT pg_notify('notifier_' || channel, '') FROM (SELECT DISTINCT channel FROM routed) AS lanes
"""
ENDED = """
UPDATE messages m SET status = ended.status, last_error = ended.why
FROM unnest($1::uuid[], $2::text[], $3::text[]) AS ended(id, status, why)
WHERE m.id = ended.id
"""


@dataclass(frozen=True)
class Waiting:
    """A message waiting for a channel, and how its recipient can be reached."""

    id: uuid.UUID
    event_id: uuid.UUID
    correlation_id: str
    hub: str
    template: str
    failed_channels: frozenset[str]  # failed for good for this message
    order_id: uuid.UUID | None
    producer_id: uuid.UUID | None
    phone: str | None
    email: str | None
    preferred: str | None
    language: str
    opted_out: frozenset[str]  # the channels the recipient opted out of
    kind: str = "buyer"  # the recipient's: a 'chat' reply goes only by the channel written on


class RoutingWork:
    """Opened on a connection in a transaction; `take` claims the batch."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self._routed: list[tuple] = []
        self._ended: list[tuple] = []
        self._attempts: list[Attempt] = []
        self._events: list[Envelope] = []

    async def take(self, limit: int) -> list[Waiting]:
        rows = await self._conn.fetch(TO_ROUTE, limit)
        return [
            Waiting(
                **{
                    **row,
                    "failed_channels": frozenset(row["failed_channels"]),
                    "opted_out": frozenset(row["opted_out"]),
                }
            )
            for row in rows
        ]

    def route(self, message_id: uuid.UUID, channel: str, address: str, language: str) -> None:
        self._routed.append((message_id, channel, address, language))

    def end(self, message_id: uuid.UUID, status: str, why: str) -> None:
        self._ended.append((message_id, status, why))

    def add_attempt(self, attempt: Attempt) -> None:
        self._attempts.append(attempt)

    def publish(self, event: Envelope) -> None:
        self._events.append(event)

    async def flush(self) -> None:
        """Each kind in one statement."""
        conn = self._conn
        await insert_attempts(conn, self._attempts)
        if self._routed:
            await conn.execute(ROUTED, *columns(self._routed, 4))
        if self._ended:
            await conn.execute(ENDED, *columns(self._ended, 3))
        await outbox.add(conn, *self._events)
        count_attempts(self._attempts)
        count_ended(self._events)
        self._routed, self._ended, self._attempts, self._events = [], [], [], []
