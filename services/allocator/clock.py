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
from typing import Any

import asyncpg
import structlog
from aiohttp import web

from services.allocator.handlers import day_close, expiry, filling
from services.allocator.rules import days
from services.allocator.store import days as store_days
from services.allocator.store.allocations import DUE_PRODUCTS
from services.allocator.store.hubs import zone_of
from services.allocator.store.unit_of_work import UnitOfWork
from shared.events import Envelope, EventPayload
from shared.web import DATABASE
from shared.worker import background

log = structlog.get_logger(__name__)


class Clock:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.days_closed: dict[str, date] = {}  # "hub/sku" -> the day it was last closed for

    async def tick(self) -> None:
        await self.expire_holds()
        await self.close_days()

    async def expire_holds(self) -> None:
        for product in await self.pool.fetch(DUE_PRODUCTS):
            hub, sku = product["hub"], product["sku"]
            while True:
                ended = await self._as_product(hub, sku, "expiry", expiry.expire_due)
                if ended < expiry.EXPIRE_BATCH:
                    break

    async def close_days(self) -> None:
        for product in await self.pool.fetch(store_days.PRODUCTS):
            hub, sku = product["hub"], product["sku"]
            async with self.pool.acquire() as conn:
                today = days.today(await zone_of(conn, hub))
            if self.days_closed.get(f"{hub}/{sku}") == today:
                continue
            await self.close_day(hub, sku, today)
            self.days_closed[f"{hub}/{sku}"] = today

    async def close_day(self, hub: str, sku: str, today: date) -> None:
        """Summarise the days that ended, refill (yesterday's caps hold nobody back now), and
        retell moved estimates. Only the refill takes the product's lock: the summary and the
        estimates read a long queue, and allocation must not wait for them."""
        async with self.pool.acquire() as conn:
            last = await conn.fetchval(store_days.LAST_SUMMARISED, hub, sku)
        ended = day_close.days_to_summarise(last, today)
        if not ended:
            return
        for day in ended:
            ours = await self._as_product(hub, sku, "day-close", _summarise(day), lock=False)
        await self._as_product(hub, sku, "day-close", filling.refill)
        # Buyers hear once: from the replica that summarised the day. A product seen for the
        # first time told its buyers their dates just now.
        if ours and last is not None:
            await self._as_product(hub, sku, "day-close", _retell, lock=False)

    async def _as_product(
        self, hub: str, sku: str, work: str, run: Callable, *, lock: bool = True
    ) -> Any:
        """Run `run(uow, hub, sku, emit)` in a transaction (a unit of work) of its own, with
        its own correlation id, under the product's lock unless told otherwise."""
        correlation_id = f"clock-{work}-{uuid.uuid4().hex[:12]}"

        def emit(payload: EventPayload) -> Envelope:
            return Envelope.wrap(payload, hub=hub, correlation_id=correlation_id)

        with structlog.contextvars.bound_contextvars(
            correlation_id=correlation_id, hub=hub, sku=sku
        ):
            async with self.pool.acquire() as conn, conn.transaction():
                uow = UnitOfWork(conn)
                if lock:
                    await uow.lock([(hub, sku)])
                answer = await run(uow, hub, sku, emit)
                await uow.flush()
                return answer


def _summarise(day: date) -> Callable:
    async def summarise(uow: UnitOfWork, hub: str, sku: str, emit) -> bool:
        """True if this replica published the day's summary."""
        if await day_close.summarise(uow, hub, sku, day, emit) is None:
            return False
        log.info("day summarised", day=day.isoformat())
        return True

    return summarise


async def _retell(uow: UnitOfWork, hub: str, sku: str, emit) -> None:
    moved = await day_close.retell_estimates(uow, hub, sku, emit)
    log.info("estimates retold", moved=moved)


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
