"""The router: a background worker that takes the messages waiting for a channel, a batch at a
time, and routes each (`handlers.route`), writing the batch's routes and endings at once.

Routing is quick database work, apart from the sending, so a slow provider never holds it up;
each channel's sender then takes the messages routed to it."""

import asyncpg

from services.notifier.handlers.route import route_message
from services.notifier.store.routes import RoutingWork


class Router:
    def __init__(self, *, pool: asyncpg.Pool, configured: frozenset[str], batch_size: int) -> None:
        self.pool = pool
        self.configured = configured
        self.batch_size = batch_size

    async def route_batch(self) -> int:
        """Route up to one batch of messages; return how many were handled."""
        async with self.pool.acquire() as conn, conn.transaction():
            work = RoutingWork(conn)
            waiting = await work.take(self.batch_size)
            for message in waiting:
                route_message(work, message, self.configured)
            await work.flush()
        return len(waiting)
