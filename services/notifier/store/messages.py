"""Messages as events call for them: one per (event, recipient, purpose), recorded in the
batch's transaction; the router and the senders take them after it commits."""

import uuid
from dataclasses import dataclass, field
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
                $7::text[], $8::uuid[], $9::uuid[])
        AS m(id, event_id, correlation_id, hub, recipient_key, template, params, order_id,
             producer_id)
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


class Messages:
    """A batch's messages, the first of each key."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self._held: dict[tuple, Message] = {}

    def add(self, message: Message) -> None:
        self._held.setdefault(message.key, message)

    async def flush(self) -> None:
        held, self._held = list(self._held.values()), {}
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
