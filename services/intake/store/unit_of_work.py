"""Intake's unit of work: what a request or a consumed batch wrote, held per kind of row and
written at its end, each kind with one statement and every event with one outbox insert."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg

from services.intake.store.deliveries import Deliveries
from services.intake.store.hubs import Hubs
from services.intake.store.producers import Producers
from services.intake.store.products import Products
from services.intake.store.shortages import Shortages
from shared import outbox
from shared.events import Envelope


class UnitOfWork:
    """Opened on a connection in a transaction (the caller's). Each repository reads a row
    once and answers what this unit wrote itself, so a read never needs a flush."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.hubs = Hubs(conn)
        self.products = Products(conn)
        self.producers = Producers(conn)
        self.deliveries = Deliveries(conn)
        self.shortages = Shortages(conn)
        self._events: list[Envelope] = []

    def now(self) -> datetime:
        """When a record is written: the rows and their events say the same time."""
        return datetime.now(UTC)

    def publish(self, *events: Envelope) -> None:
        self._events.extend(events)

    async def flush(self) -> None:
        """Write what is held, parents before the rows that refer to them, then the events.
        Raises `store.Taken` when a key a use case found free was taken meanwhile."""
        for kind in (self.hubs, self.products, self.producers, self.deliveries, self.shortages):
            await kind.flush()
        events, self._events = self._events, []
        await outbox.add(self.conn, *events)


@asynccontextmanager
async def unit_of_work(pool: asyncpg.Pool) -> AsyncIterator[UnitOfWork]:
    """A unit of work in a transaction of its own, flushed and committed when the block ends
    without an error (and rolled back with nothing written when it raises)."""
    async with pool.acquire() as conn, conn.transaction():
        uow = UnitOfWork(conn)
        yield uow
        await uow.flush()
