"""What WhatsApp's statuses do to our messages, applied by a worker after the webhook's commit.

- `sent`, `delivered` or `read` of a message still pending on WhatsApp (its send's answer was
  lost, or has not been written yet): the message is sent. A send under way finds it no longer
  pending, so its result changes nothing but its attempt row; and the senders never claim again
  a WhatsApp message with such a status (store/sends.py), so it is not sent twice.
- `failed` of the send the message stands on (its wamid, or a pending message's): WhatsApp did
  not deliver it, so it goes back to the router at once, WhatsApp among its failed channels, and
  the next channel takes it. Not after a `delivered` or `read` of that send: it got through.
  The failure is an attempt of its own (`permanent`), counted in `attempts` as a claim is, so a
  send under way (its claim's count now stale) changes nothing but its attempt row.
- Anything else (a message we do not know, a status late or out of order: `sent` after
  `delivered`, `read` after `failed`) is kept for the log and moves nothing backwards.
"""

import uuid
from dataclasses import dataclass

import asyncpg
import structlog

from services.notifier.outcomes import count_attempts, count_ended, sent_event
from services.notifier.store import whatsapp_statuses
from services.notifier.store.attempts import Attempt, insert_attempts
from services.notifier.store.wakeups import RING_ROUTER
from shared import outbox

log = structlog.get_logger(__name__)

POSITIVE = ("sent", "delivered", "read")


@dataclass(frozen=True)
class Reported:
    """A message a status marked sent, as its event names it."""

    id: uuid.UUID
    event_id: uuid.UUID
    correlation_id: str
    hub: str
    template: str
    order_id: uuid.UUID | None
    producer_id: uuid.UUID | None


class StatusWorker:
    def __init__(self, *, pool: asyncpg.Pool, batch_size: int) -> None:
        self.pool = pool
        self.batch_size = batch_size

    async def apply_batch(self) -> int:
        """Apply up to a batch of statuses, oldest first; return how many."""
        async with self.pool.acquire() as conn, conn.transaction():
            statuses = await whatsapp_statuses.claim(conn, self.batch_size)
            sent = await _sent(conn, [s for s in statuses if s["status"] in POSITIVE])
            failed = await _failed(conn, [s for s in statuses if s["status"] == "failed"])
        if statuses:
            log.info(
                "whatsapp statuses applied",
                count=len(statuses),
                unknown=sum(1 for s in statuses if s["message_id"] is None),
                sent=[str(m) for m in sent],
                fell_back=[str(m) for m in failed],
            )
        return len(statuses)


async def _sent(conn: asyncpg.Connection, statuses: list) -> list[uuid.UUID]:
    told = {s["message_id"]: s["provider_id"] for s in statuses if s["message_id"] is not None}
    if not told:
        return []
    rows = await whatsapp_statuses.mark_sent(conn, list(told), list(told.values()))
    events = [sent_event(Reported(**row), "whatsapp") for row in rows]
    await outbox.add(conn, *events)
    count_ended(events)
    return [row["id"] for row in rows]


async def _failed(conn: asyncpg.Connection, statuses: list) -> list[uuid.UUID]:
    told = {
        s["message_id"]: (s["provider_id"], _answer(s))
        for s in statuses
        if s["message_id"] is not None
    }
    if not told:
        return []
    provider_ids, answers = zip(*told.values(), strict=True)
    rows = await whatsapp_statuses.mark_failed(conn, list(told), list(provider_ids), list(answers))
    attempts = [
        Attempt(r["id"], "whatsapp", "permanent", r["answer"], r["provider_id"]) for r in rows
    ]
    if attempts:
        await insert_attempts(conn, attempts)
        await conn.execute(RING_ROUTER)
        count_attempts(attempts)
    return [row["id"] for row in rows]


def _answer(status) -> str:
    code = status["error_code"]
    title = status["error_title"] or "no reason"
    said = f"code {code}: {title}" if code is not None else title
    return f"WhatsApp reported it failed ({status['provider_id']}), {said}"
