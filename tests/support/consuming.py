"""Driving a service's event handlers directly, a batch at a time, in the running stack's
database: in a transaction that is rolled back, so the service itself never sees the result."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg

from shared.consumer import Event
from shared.events import Envelope, EventPayload


@asynccontextmanager
async def rolled_back(database_url: str, schema: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection as the service has (its schema first), in a transaction rolled back."""
    conn = await asyncpg.connect(database_url, server_settings={"search_path": schema})
    transaction = conn.transaction()
    await transaction.start()
    try:
        yield conn
    finally:
        await transaction.rollback()
        await conn.close()


def event(payload: EventPayload, at: datetime) -> Event:
    """The payload as a consumer hands it to its handlers, as if it happened `at`."""
    envelope = Envelope.wrap(payload, hub="hub", correlation_id="test-consume")
    envelope = envelope.model_copy(update={"occurred_at": at})
    return Event(envelope, envelope.read())
