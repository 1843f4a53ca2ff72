"""The SQL of what comes in: recording a notification (one statement, so one transaction, that
rings the workers at its commit), and the inbound worker's claims and results."""

from dataclasses import dataclass

import asyncpg

from services.notifier.inbound.notifications import InboundMessage, StatusUpdate
from services.notifier.store.columns import columns
from shared.pruning import deleting

# Answered messages and statuses past the retention; one not yet answered stays. A status never
# applied by then never will be (its message is long settled).
FORGET_INBOUND = deleting(
    "inbound_messages", "handled_at IS NOT NULL AND received_at < now() - $1::interval"
)
FORGET_STATUSES = deleting("whatsapp_statuses", "recorded_at < now() - $1::interval")
INBOUND_CHANNEL = "notifier_inbound"
STATUSES_CHANNEL = "notifier_statuses"

# A notification Meta sends again (it retries what it did not hear answered) adds nothing, and
# rings nobody.
RECORD = f"""
WITH statuses AS (
    INSERT INTO whatsapp_statuses (provider_id, status, error_code, error_title, message_id,
                                   phone, at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::uuid[], $6::text[],
                         $7::timestamptz[])
    ON CONFLICT (provider_id, status) DO NOTHING
    RETURNING 1
), inbound AS (
    INSERT INTO inbound_messages (provider_id, channel, phone, name, text, reply_id, sent_at,
                                  correlation_id)
    SELECT *, $15::text FROM unnest($8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
                              $13::text[], $14::timestamptz[])
    ON CONFLICT (channel, provider_id) DO NOTHING
    RETURNING 1
), counted AS (
    SELECT (SELECT count(*) FROM statuses) AS statuses, (SELECT count(*) FROM inbound) AS messages
)
SELECT statuses, messages,
       CASE WHEN statuses > 0 THEN pg_notify('{STATUSES_CHANNEL}', '') END AS rang_statuses,
       CASE WHEN messages > 0 THEN pg_notify('{INBOUND_CHANNEL}', '') END AS rang_inbound
FROM counted
"""
# Each number's oldest message not handled yet, due: its later ones wait for it, so a number's
# messages are answered in the order they came, whichever replica takes them.
TO_ANSWER = """
SELECT i.seq FROM inbound_messages i
WHERE i.handled_at IS NULL AND i.next_attempt_at <= now()
  AND NOT EXISTS (SELECT 1 FROM inbound_messages e
                  WHERE e.phone = i.phone AND e.handled_at IS NULL AND e.seq < i.seq)
ORDER BY i.seq
LIMIT $1
"""
# One of them, marked handled in the transaction that answers it (the mark commits with the
# answer, or neither does); None when another worker has it, or had it.
TAKE = """
WITH free AS (
    SELECT seq FROM inbound_messages WHERE seq = $1 AND handled_at IS NULL
    FOR UPDATE SKIP LOCKED
)
UPDATE inbound_messages i SET handled_at = now()
FROM free
WHERE i.seq = free.seq
RETURNING i.seq, i.provider_id, i.channel, i.phone, i.name, i.text, i.reply_id, i.sent_at,
          i.correlation_id, i.failures
"""
# An answer that failed: again after `$3` seconds; given up on (handled, with the error) when
# `$4` is true.
ANSWER_FAILED = """
UPDATE inbound_messages
SET failures = failures + 1, last_error = $2,
    next_attempt_at = now() + make_interval(secs => $3),
    handled_at = CASE WHEN $4 THEN now() END
WHERE seq = $1 AND handled_at IS NULL
"""


async def record(
    conn: asyncpg.Connection,
    statuses: list[StatusUpdate],
    messages: list[InboundMessage],
    correlation_id: str,
) -> tuple[int, int]:
    """Record what is new of a notification; answer (statuses, messages) new."""
    status_rows = [
        (s.provider_id, s.status, s.error_code, s.error_title, s.message_id, s.phone, s.at)
        for s in statuses
    ]
    message_rows = [
        (m.provider_id, m.channel, m.phone, m.name, m.text, m.reply_id, m.at) for m in messages
    ]
    row = await conn.fetchrow(
        RECORD, *columns(status_rows, 7), *columns(message_rows, 7), correlation_id
    )
    return row["statuses"], row["messages"]


@dataclass(frozen=True)
class Taken:
    """An inbound message taken to be answered."""

    seq: int
    correlation_id: str
    failures: int  # answers tried before that failed
    message: InboundMessage


async def to_answer(pool: asyncpg.Pool, limit: int) -> list[int]:
    async with pool.acquire() as conn:
        return [row["seq"] for row in await conn.fetch(TO_ANSWER, limit)]


async def take(conn: asyncpg.Connection, seq: int) -> Taken | None:
    """The message, marked handled: call it in the transaction that answers it."""
    row = await conn.fetchrow(TAKE, seq)
    if row is None:
        return None
    message = InboundMessage(
        provider_id=row["provider_id"],
        channel=row["channel"],
        phone=row["phone"],
        name=row["name"],
        text=row["text"],
        reply_id=row["reply_id"],
        at=row["sent_at"],
    )
    return Taken(row["seq"], row["correlation_id"], row["failures"], message)


async def answer_failed(
    conn: asyncpg.Connection, seq: int, error: str, retry_seconds: float, give_up: bool
) -> None:
    await conn.execute(ANSWER_FAILED, seq, error[:500], retry_seconds, give_up)
