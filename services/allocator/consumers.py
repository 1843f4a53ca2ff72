"""The allocator takes its events a batch at a time: one unit of work per batch, flushed once
(see `handlers.events.handle_events`)."""

from collections.abc import Sequence

import asyncpg

from services.allocator.handlers.events import HANDLERS, handle_events
from services.allocator.store.unit_of_work import UnitOfWork
from shared.consumer import Event, EventHandlers


async def handle_batch(conn: asyncpg.Connection, events: Sequence[Event]) -> None:
    uow = UnitOfWork(conn)
    await handle_events(uow, events)
    await uow.flush()


handlers = EventHandlers(frozenset(HANDLERS), handle_batch)
