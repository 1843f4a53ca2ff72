"""Every try at every message: which channel, what came of it, what the provider said."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from shared.pruning import deleting

# A message's attempts outlive it being settled by the retention; a pending one's stay.
FORGET_ATTEMPTS = deleting(
    "delivery_attempts",
    """at < now() - $1::interval
    AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = message_id AND m.status = 'pending')""",
)
ATTEMPTS_INSERT = """
INSERT INTO delivery_attempts (message_id, channel, outcome, answer, provider_id)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[])
"""


@dataclass(frozen=True)
class Attempt:
    message_id: uuid.UUID
    channel: str
    outcome: str  # accepted, temporary, unknown, permanent or opted_out
    answer: str  # what the provider said, or why the channel was passed over
    provider_id: str | None = None


def attempt_columns(attempts: Sequence[Attempt]) -> list[list]:
    """The attempts as ATTEMPTS_INSERT's five arrays."""
    return [
        [a.message_id for a in attempts],
        [a.channel for a in attempts],
        [a.outcome for a in attempts],
        [a.answer for a in attempts],
        [a.provider_id for a in attempts],
    ]


async def insert_attempts(conn: asyncpg.Connection, attempts: Sequence[Attempt]) -> None:
    if attempts:
        await conn.execute(ATTEMPTS_INSERT, *attempt_columns(attempts))
