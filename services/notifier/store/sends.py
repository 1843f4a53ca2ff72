"""The senders' SQL: claiming due messages for a lease, and writing a batch of sends' results,
each kind of result in one statement.

A claim counts the attempt (`attempts`), and a result is written only while `attempts` is
still that count: a claim whose lease ran out and was taken again writes its attempt row and
changes nothing else."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.notifier.outcomes import count_attempts, count_ended, failed_event, sent_event
from services.notifier.store.attempts import Attempt, attempt_columns, insert_attempts
from services.notifier.store.columns import columns
from services.notifier.store.wakeups import RING_ROUTER
from shared import outbox

# Due messages of one channel, claimed for a lease, earliest due first. A WhatsApp message tried
# before that WhatsApp reports sent, delivered or read (its answer was lost) is not sent again:
# the status worker marks it sent (services/notifier/inbound/statuses.py).
CLAIM = """
WITH due AS (
    SELECT id FROM messages
    WHERE status = 'pending' AND channel = $1 AND next_attempt_at <= now()
      AND ($1 <> 'whatsapp' OR attempts = 0 OR NOT EXISTS (
          SELECT 1 FROM whatsapp_statuses s
          WHERE s.message_id = messages.id AND s.status IN ('sent', 'delivered', 'read')))
    ORDER BY next_attempt_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE messages m
SET attempts = m.attempts + 1, next_attempt_at = now() + make_interval(secs => $3)
FROM due, recipients r
WHERE m.id = due.id AND r.key = m.recipient_key
RETURNING m.id, m.event_id, m.correlation_id, m.hub, m.template, m.params, m.attempts,
          m.language, m.address, m.routed_at, m.order_id, m.producer_id,
          r.name AS recipient_name, r.order_code,
          EXISTS (SELECT 1 FROM opt_outs o WHERE o.channel = m.channel AND o.address = m.address)
              AS opted_out
"""
# Each kind of result for a batch of messages (id, attempts: the claim, answer, ...), applied
# only to those still claimed as they were; some answer which ones those were.
_OURS = "m.id = r.id AND m.attempts = r.attempts AND m.status = 'pending'"
# The sent ones, with every attempt of the batch (sent or not) in the same round trip.
SENT = f"""
WITH tried AS (
    INSERT INTO delivery_attempts (message_id, channel, outcome, answer, provider_id)
    SELECT * FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[])
)
UPDATE messages m
SET status = 'sent', sent_at = now(), provider_id = r.provider_id, last_error = NULL
FROM unnest($1::uuid[], $2::int[], $3::text[]) AS r(id, attempts, provider_id)
WHERE {_OURS}
RETURNING m.id
"""
RETRY_AT = f"""
UPDATE messages m SET last_error = r.answer, next_attempt_at = r.retry_at
FROM unnest($1::uuid[], $2::int[], $3::text[], $4::timestamptz[])
    AS r(id, attempts, answer, retry_at)
WHERE {_OURS}
"""
_ANSWERED = "FROM unnest($1::uuid[], $2::int[], $3::text[]) AS r(id, attempts, answer)"
GAVE_UP = f"""
UPDATE messages m SET status = 'failed', last_error = r.answer
{_ANSWERED}
WHERE {_OURS}
RETURNING m.id
"""
# This channel cannot reach the person: back to the router, which takes the next one.
FALL_BACK = f"""
UPDATE messages m SET channel = NULL, last_error = r.answer, next_attempt_at = now(),
                      failed_channels = array_append(m.failed_channels, m.channel)
{_ANSWERED}
WHERE {_OURS}
"""
# Opted out after the message was routed: back to the router, which passes over the channel.
REROUTE = f"""
UPDATE messages m SET channel = NULL, last_error = r.answer, next_attempt_at = now()
{_ANSWERED}
WHERE {_OURS}
"""


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message claimed for a send, with what its send needs."""

    id: uuid.UUID
    event_id: uuid.UUID
    correlation_id: str
    hub: str
    template: str
    params: dict[str, Any]
    attempts: int  # this claim's count: its result is written while the count is unchanged
    language: str
    address: str
    routed_at: datetime
    order_id: uuid.UUID | None
    producer_id: uuid.UUID | None
    recipient_name: str
    order_code: str | None
    opted_out: bool  # since it was routed to this channel


@dataclass(frozen=True, slots=True)
class Result:
    """One send's attempt, and what the message does next."""

    message: Claimed
    attempt: Attempt
    then: str  # "sent", "retry", "fall_back" (to the router), "reroute" (opted out) or "give_up"
    retry_at: datetime | None = None


async def claim(
    pool: asyncpg.Pool, channel: str, limit: int, lease_seconds: float
) -> list[Claimed]:
    """Up to `limit` due messages of a channel, each claimed for `lease_seconds`."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(CLAIM, channel, limit, lease_seconds)
    return [Claimed(*row) for row in rows]


async def write_results(pool: asyncpg.Pool, channel: str, results: list[Result]) -> None:
    """Every result's attempt row and message update in one transaction, a statement a kind."""
    by_then: dict[str, list[Result]] = {}
    for result in results:
        by_then.setdefault(result.then, []).append(result)
    events = []
    attempts = [r.attempt for r in results]
    async with pool.acquire() as conn, conn.transaction():
        if sent := by_then.get("sent"):
            rows = [(r.message.id, r.message.attempts, r.attempt.provider_id) for r in sent]
            tried = attempt_columns(attempts)
            ours = {row[0] for row in await conn.fetch(SENT, *columns(rows, 3), *tried)}
            events += [sent_event(r.message, channel) for r in sent if r.message.id in ours]
        else:
            await insert_attempts(conn, attempts)
        if retries := by_then.get("retry"):
            rows = [_answered(r) + (r.retry_at,) for r in retries]
            await conn.execute(RETRY_AT, *columns(rows, 4))
        for then, sql in (("fall_back", FALL_BACK), ("reroute", REROUTE)):
            if back := by_then.get(then):
                await conn.execute(sql, *columns([_answered(r) for r in back], 3))
        if gave_up := by_then.get("give_up"):
            rows = [_answered(r) for r in gave_up]
            ours = {row[0] for row in await conn.fetch(GAVE_UP, *columns(rows, 3))}
            events += [
                failed_event(r.message, channel, r.attempt.answer)
                for r in gave_up
                if r.message.id in ours
            ]
        await outbox.add(conn, *events)
        if "fall_back" in by_then or "reroute" in by_then:
            await conn.execute(RING_ROUTER)
        count_attempts(attempts)
        count_ended(events)


def _answered(result: Result) -> tuple:
    return (result.message.id, result.message.attempts, result.attempt.answer)
