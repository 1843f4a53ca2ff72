"""Messages as events call for them: one per (event, recipient, purpose), recorded in the
batch's transaction; the router and the senders take them after it commits."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import asyncpg
import orjson

from services.notifier.store.columns import columns
from services.notifier.store.wakeups import RING_ROUTER
from shared.events import Envelope

# A batch's messages in one statement, with the NOTIFY that wakes the router at commit, in one
# round trip. Params go as JSON text: one encoding per message, by orjson.
MESSAGES_INSERT = f"""
WITH stored AS (
    INSERT INTO messages (id, event_id, correlation_id, hub, recipient_key, template, params,
                          order_id, producer_id)
    SELECT id, event_id, correlation_id, hub, recipient_key, template, params::jsonb,
           order_id, producer_id
    FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::text[], $8::uuid[], $9::uuid[]) WITH ORDINALITY
        AS m(id, event_id, correlation_id, hub, recipient_key, template, params, order_id,
             producer_id, listed)
    ORDER BY listed
    ON CONFLICT (event_id, recipient_key, template) DO NOTHING
)
{RING_ROUTER}
"""


@dataclass(frozen=True)
class Message:
    """What one event calls for one person to hear: a template and its params."""

    event_id: uuid.UUID
    correlation_id: str
    hub: str
    recipient_key: str
    template: str
    params: dict[str, Any]
    order_id: uuid.UUID | None = None
    producer_id: uuid.UUID | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)

    @classmethod
    def about(cls, cause: Envelope, recipient_key: str, template: str, params: dict, **of):
        """A message the event `cause` calls for; `of` names its order_id or producer_id."""
        return cls(cause.id, cause.correlation_id, cause.hub, recipient_key, template, params, **of)

    @property
    def key(self) -> tuple[uuid.UUID, str, str]:
        """A second message of one key is left out."""
        return (self.event_id, self.recipient_key, self.template)


class HeldMessages:
    """A unit of work's messages before they are written: the first of each key, and those that
    add up (what one batch sold of one producer's units) as one message.

    A message that adds up with others keeps the id, key and correlation id of the first one
    held, and carries the totals of all. Exactly once still holds: its events are recorded in
    the inbox in the transaction that writes it, so each of them is handled once, in this batch
    or never; a redelivered one is skipped by the inbox and adds to nothing. Its unique key
    (first event, recipient, template) is the backstop for the first event only: the others'
    redeliveries rely on the inbox alone, which keeps every event id."""

    def __init__(self) -> None:
        self._first: dict[tuple, Message] = {}
        self._totals: dict[tuple, Message] = {}
        self._counted: set[tuple] = set()

    def add(self, message: Message) -> None:
        self._first.setdefault(message.key, message)

    def add_up(self, message: Message, sums: tuple[str, ...], over: tuple = ()) -> None:
        """Hold `message`, or add its `sums` params to those of the one held for the same person
        and template, `over` (what the params do not say, as the day) and other params."""
        if message.key in self._counted:
            return
        self._counted.add(message.key)
        same = sorted((name, value) for name, value in message.params.items() if name not in sums)
        group = (message.hub, message.recipient_key, message.template, over, *same)
        held = self._totals.get(group)
        if held is None:  # a copy of the params, ours to add to
            self._totals[group] = replace(message, params=dict(message.params))
            return
        for name in sums:
            held.params[name] += message.params[name]

    def __iter__(self) -> Iterator[Message]:
        yield from self._first.values()
        yield from self._totals.values()

    def __len__(self) -> int:
        return len(self._first) + len(self._totals)


class Messages:
    """A batch's messages (`HeldMessages`), written in one statement."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self._held = HeldMessages()

    def add(self, message: Message) -> None:
        self._held.add(message)

    def add_up(self, message: Message, sums: tuple[str, ...], over: tuple = ()) -> None:
        self._held.add_up(message, sums, over)

    async def flush(self) -> None:
        held, self._held = self._held, HeldMessages()
        if held:
            rows = [
                (
                    m.id,
                    m.event_id,
                    m.correlation_id,
                    m.hub,
                    m.recipient_key,
                    m.template,
                    orjson.dumps(m.params).decode(),
                    m.order_id,
                    m.producer_id,
                )
                for m in held
            ]
            await self._conn.execute(MESSAGES_INSERT, *columns(rows, 9))
