"""The standing orders' clock: every few seconds, each active series' due occurrences become
orders, exactly once.

A series is run in a transaction of its own that takes its row lock (SKIP LOCKED: two replicas
never run one series at once), places each due occurrence by the ordinary use case (so its
order.placed goes out through the outbox in that same transaction), marks the orders with the
series' id and occurrence number (unique together) and moves the series' `next_number` past
them. A crash before the commit leaves nothing; after it, the series says they were made.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import structlog
from aiohttp import web

from services.orders.domain import PlaceOrder
from services.orders.handlers import place_order
from services.orders.models import NewOrder
from services.orders.series import schedule
from services.orders.series.models import series_of
from services.orders.store import series as series_store
from services.orders.store.unit_of_work import UnitOfWork
from shared.problems import Problem
from shared.web import DATABASE
from shared.worker import background

log = structlog.get_logger(__name__)


class SeriesClock:
    """What time it is for standing orders: the machine's, or, for tests only, the instant
    written in `file` (ISO 8601) when that file exists, so a test can walk a month in seconds."""

    def __init__(self, file: Path | None = None) -> None:
        self.file = file

    def now(self) -> datetime:
        if self.file is not None and self.file.exists():
            return datetime.fromisoformat(self.file.read_text().strip()).astimezone(UTC)
        return datetime.now(UTC)


SERIES_CLOCK = web.AppKey("series_clock", SeriesClock)


def occurrence_id(series_id: uuid.UUID, number: int) -> uuid.UUID:
    """An occurrence's order id: the same whoever makes it, a second safeguard beside the
    unique (series_id, occurrence)."""
    return uuid.uuid5(series_id, str(number))


async def run_due(pool: asyncpg.Pool, now: datetime) -> int:
    """Make every active series' due occurrences; answers how many orders were placed."""
    placed = 0
    for row in await pool.fetch(series_store.ACTIVE_SERIES):
        try:
            placed += await run_series(pool, row["id"], now)
        except (OSError, asyncpg.PostgresError) as error:
            log.warning("standing order not run", series_id=str(row["id"]), error=repr(error))
    return placed


async def run_series(pool: asyncpg.Pool, series_id: uuid.UUID, now: datetime) -> int:
    correlation_id = f"series-{series_id.hex[:12]}-{uuid.uuid4().hex[:8]}"
    with structlog.contextvars.bound_contextvars(
        correlation_id=correlation_id, series_id=str(series_id)
    ):
        async with pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(series_store.SERIES_TO_RUN, series_id)
            if row is None:  # another replica has it, or it was paused or cancelled meanwhile
                return 0
            series = series_of(row, await series_store.zone_name(conn, row["hub"]))
            due = schedule.due_occurrences(series, now)
            made = await _place(conn, row, due, correlation_id)
            next_number = due[-1][0] + 1 if due else series.next_number
            moved = schedule.Series(**{**series.__dict__, "next_number": next_number})
            status = "finished" if schedule.finished(moved) else "active"
            if due or status != row["status"]:
                await conn.execute(series_store.SERIES_CHANGE, series_id, status, next_number)
    for number, when in due:
        log.info("standing order occurrence placed", occurrence=number, due=when.isoformat())
    return made


async def _place(
    conn: asyncpg.Connection,
    row: asyncpg.Record,
    due: list[tuple[int, datetime]],
    correlation_id: str,
) -> int:
    if not due:
        return 0
    new = NewOrder.model_validate(row["template"])
    uow = UnitOfWork(conn)
    made: list[tuple[uuid.UUID, int]] = []
    for number, _ in due:
        command = PlaceOrder(
            new=new,
            partner_id=row["partner_id"],
            correlation_id=correlation_id,
            owner="series",
            key=None,
            request_hash="",
        )
        try:
            await place_order(uow, command, order_id=occurrence_id(row["id"], number))
        except Problem as problem:  # the product left the catalog: this occurrence is skipped
            log.warning(
                "standing order occurrence skipped", occurrence=number, problem=repr(problem)
            )
            continue
        made.append((occurrence_id(row["id"], number), number))
    await uow.flush()
    await series_store.mark_occurrences(conn, row["id"], made)
    return len(made)


async def run_clock(pool: asyncpg.Pool, clock: SeriesClock, period: float) -> None:
    while True:
        try:
            await run_due(pool, clock.now())
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the database away: try again next period
            log.warning("standing orders tick failed", error=repr(error))
        await asyncio.sleep(period)


def series_clock(
    period: float, clock_file: Path | None
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def context(app: web.Application) -> AsyncIterator[None]:
        clock = app[SERIES_CLOCK] = SeriesClock(clock_file)
        async with background(run_clock(app[DATABASE], clock, period)):
            yield

    return context
