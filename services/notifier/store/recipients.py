"""People to tell: a producer ('producer:<id>'), the buyer of one order ('buyer:<order id>'),
or one phone check ('phone_check:<message id>')."""

import uuid
from dataclasses import dataclass

import asyncpg

from services.notifier.store.columns import columns
from services.notifier.store.wakeups import RING_ROUTER

# A batch's recipients in one statement (one row per key), waking the router at commit only
# when messages wait for one of them (recorded before their recipient: events overtake each
# other); an order.placed has none, and a wake-up that finds nothing to route costs a
# transaction. A message recorded meanwhile by another replica is found by the router's poll.
RECIPIENTS_UPSERT = f"""
WITH stored AS (
    INSERT INTO recipients (key, kind, name, email, phone, language, channel, order_code)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::text[], $7::text[], $8::text[])
    ON CONFLICT (key) DO UPDATE
    SET name = excluded.name, email = excluded.email, phone = excluded.phone,
        language = excluded.language, channel = excluded.channel,
        order_code = excluded.order_code
    RETURNING key
)
{RING_ROUTER}
WHERE EXISTS (
    SELECT 1 FROM messages m JOIN stored s ON s.key = m.recipient_key
    WHERE m.status = 'pending' AND m.channel IS NULL
)
"""


def producer_key(producer_id: uuid.UUID) -> str:
    return f"producer:{producer_id}"


def buyer_key(order_id: uuid.UUID) -> str:
    return f"buyer:{order_id}"


@dataclass(frozen=True)
class Recipient:
    key: str
    kind: str  # producer, buyer or phone_check
    name: str
    email: str | None  # lower case
    phone: str | None  # E.164, a mobile number
    language: str
    channel: str | None  # the one they prefer
    order_code: str | None = None  # a buyer's: names their order in messages


class Recipients:
    """A batch's recipients; its last word on a key stands, as when each was written in turn."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self._held: dict[str, Recipient] = {}

    def add(self, recipient: Recipient) -> None:
        self._held[recipient.key] = recipient

    async def flush(self) -> None:
        held, self._held = list(self._held.values()), {}
        if held:
            rows = [
                (r.key, r.kind, r.name, r.email, r.phone, r.language, r.channel, r.order_code)
                for r in held
            ]
            await self._conn.execute(RECIPIENTS_UPSERT, *columns(rows, 8))
