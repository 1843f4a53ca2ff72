"""The allocator takes its events a batch at a time: one unit of work per batch, flushed once
(see `handlers.events.handle_events`), whose first statement records the batch in the inbox
and takes its products' locks."""

import asyncpg

from services.allocator.handlers.events import HANDLERS, handle_events, products_of
from services.allocator.store.unit_of_work import UnitOfWork
from shared.consumer import Event, EventHandlers
from shared.event_handlers import InboxClaim, claims_inbox


@claims_inbox
async def handle_batch(conn: asyncpg.Connection, claim: InboxClaim) -> list[Event]:
    uow = UnitOfWork(conn)
    fresh = claim.fresh(await uow.claim(claim, products_of(claim.events)))
    if fresh:
        await handle_events(uow, fresh)
        await uow.flush()
    return fresh


handlers = EventHandlers(frozenset(HANDLERS), handle_batch)
