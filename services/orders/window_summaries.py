"""A window's summary for the centre's operators once it closes (issue 21): its end passed, or
an operator closed it. Every few seconds the windows whose summary is due are marked (in the
statement that finds them, so one process summarises each, once) and their summaries logged:
units ordered, orders taken, orders refused, and each by buyer type. The console shows the same
counts on its windows page, with when the summary went. There is no operators' email to send it
to (the notifier writes to buyers and producers only): the log and the console are its paths.
"""

import asyncio
from collections.abc import AsyncIterator, Callable

import asyncpg
import structlog
from aiohttp import web

from services.orders.store.windows import WINDOWS_TO_SUMMARISE
from shared.web import DATABASE
from shared.worker import background

log = structlog.get_logger(__name__)


async def summarise_closed(pool: asyncpg.Pool) -> int:
    """One look: the windows summarised."""
    rows = await pool.fetch(WINDOWS_TO_SUMMARISE)
    for row in rows:
        log.info(
            "order window summary",
            window_id=str(row["id"]),
            hub=row["hub"],
            sku=row["sku"],
            cap=row["cap"],
            ordered=row["ordered"],
            orders=row["orders"],
            refused=row["refused"],
            by_buyer_type=row["by_buyer_type"],
            closed_early=row["closed_at"] is not None and row["closed_at"] < row["closes_at"],
        )
    return len(rows)


def window_summaries(every_seconds: float) -> Callable[[web.Application], AsyncIterator[None]]:
    async def summarise_forever(pool: asyncpg.Pool) -> None:
        while True:
            try:
                await summarise_closed(pool)
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("order window summaries failed", error=repr(error))
            await asyncio.sleep(every_seconds)

    async def context(app: web.Application) -> AsyncIterator[None]:
        async with background(summarise_forever(app[DATABASE])):
            yield

    return context
