"""The allocator's clock: what happens because time passes, not because an event came.

Every few seconds it expires holds that ran out; when a hub's day has ended it summarises the
day, refills each product (yesterday's daily caps no longer hold anyone back) and tells buyers
whose estimated date moved. Each product's work takes the product's lock, so any number of
allocator replicas may run their clocks: the summary table makes each day's summary once.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date

import asyncpg
import structlog
from aiohttp import web

from services.allocator import day_close, days, expiry, filling, store
from shared.events import Envelope, EventPayload
from shared.web import DATABASE
from shared.worker import background

log = structlog.get_logger(__name__)


class Clock:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.days_closed: dict[str, date] = {}  # hub -> the day whose start was last handled

    async def tick(self) -> None:
        await self.expire_holds()
        await self.close_days()

    async def expire_holds(self) -> None:
        for product in await self.pool.fetch(expiry.DUE_PRODUCTS):
            hub, sku = product["hub"], product["sku"]
            while True:
                ended = await self._as_product(hub, sku, "expiry", expiry.expire_due)
                if ended < expiry.EXPIRE_BATCH:
                    break

    async def close_days(self) -> None:
        for product in await self.pool.fetch(day_close.PRODUCTS):
            hub, sku = product["hub"], product["sku"]
            async with self.pool.acquire() as conn:
                today = days.today(await days.zone_of(conn, hub))
            if self.days_closed.get(f"{hub}/{sku}") == today:
                continue
            await self._as_product(hub, sku, "day-close", _close_day(today))
            self.days_closed[f"{hub}/{sku}"] = today

    async def _as_product(self, hub: str, sku: str, work: str, run: Callable) -> int:
        """Run `run(conn, hub, sku, emit)` under the product's lock, with its own correlation."""
        correlation_id = f"clock-{work}-{uuid.uuid4().hex[:12]}"

        def emit(payload: EventPayload) -> Envelope:
            return Envelope.wrap(payload, hub=hub, correlation_id=correlation_id)

        with structlog.contextvars.bound_contextvars(
            correlation_id=correlation_id, hub=hub, sku=sku
        ):
            async with self.pool.acquire() as conn, conn.transaction():
                await store.lock_products(conn, [(hub, sku)])
                return await run(conn, hub, sku, emit)


def _close_day(today: date) -> Callable:
    async def close(conn: asyncpg.Connection, hub: str, sku: str, emit) -> int:
        last = await conn.fetchval(day_close.LAST_SUMMARISED, hub, sku)
        ended = day_close.days_to_summarise(last, today)
        for day in ended:
            summary = await day_close.summarise(conn, hub, sku, day, emit)
            if summary is not None:
                log.info("day summarised", day=day.isoformat())
        if not ended:
            return 0
        await filling.fill(conn, hub, sku, emit)  # yesterday's caps hold nobody back now
        # A product seen for the first time has told its buyers their dates just now.
        moved = 0 if last is None else await day_close.retell_estimates(conn, hub, sku, emit)
        log.info("day closed", estimates_moved=moved)
        return moved

    return close


async def run_clock(clock: Clock, period: float) -> None:
    while True:
        try:
            await clock.tick()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the database away: try again next period
            log.warning("clock tick failed", error=repr(error))
        await asyncio.sleep(period)


def clock_context(period: float) -> Callable[[web.Application], AsyncIterator[None]]:
    async def context(app: web.Application) -> AsyncIterator[None]:
        async with background(run_clock(Clock(app[DATABASE]), period)):
            yield

    return context
