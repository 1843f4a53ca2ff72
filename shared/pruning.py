"""Old rows deleted on a schedule, so the tables that only grow (the inbox, idempotency keys,
buyer days, sent callbacks, delivery attempts, inbound messages) stay flat over a long run.

Each service names what it keeps and for how long (`Retention`); every service keeps its inbox
`inbox_retention` (shared/config.py). A pass deletes in bounded batches, each its own short
transaction, so pruning a backlog never holds a long lock or a long snapshot against the
service's own writes; a pass that fails is tried again at the next.
"""

import asyncio
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import structlog
from aiohttp import web

from shared.metrics import ROWS_PRUNED
from shared.web import DATABASE
from shared.worker import background

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Retention:
    """Rows of one kind, kept for `keep`. `statement` deletes at most $2 of them that are older
    than the interval $1, and only rows nothing still needs (a pending callback stays)."""

    kind: str
    statement: str
    keep: timedelta


def deleting(table: str, old: str) -> str:
    """The statement that deletes at most $2 rows of `table` for which `old` holds; `old`
    compares their time with `now() - $1`, $1 being the retention (an interval)."""
    return f"""
DELETE FROM {table} WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM {table} WHERE {old} LIMIT $2::integer
))"""


# Every service's inbox: the BRIN index on handled_at (shared/migrations) finds the old ones. An
# event redelivered after its id is forgotten would be handled again, so the retention must
# outlast any redelivery and any replay from a dead-letter queue (the default is 30 days).
INBOX = deleting("inbox", "handled_at < now() - $1::interval")


async def prune(
    pool: asyncpg.Pool, service: str, kept: Iterable[Retention], batch_rows: int
) -> dict[str, int]:
    """One pass: each kind in batches until a batch comes back short. Answers rows per kind."""
    pruned: dict[str, int] = {}
    for retention in kept:
        total = 0
        while True:
            status = await pool.execute(retention.statement, retention.keep, batch_rows)
            deleted = int(status.split()[-1])
            total += deleted
            if deleted < batch_rows:
                break
        ROWS_PRUNED.labels(service, retention.kind).inc(total)
        pruned[retention.kind] = total
    return pruned


def pruning(service: str, kept: Iterable[Retention], every_seconds: float, batch_rows: int):
    """A cleanup context that prunes once at start and then every `every_seconds`."""
    kept = tuple(kept)

    async def prune_forever(pool: asyncpg.Pool) -> None:
        while True:
            try:
                pruned = await prune(pool, service, kept, batch_rows)
                log.info("old rows pruned", **pruned)
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("pruning old rows failed", error=repr(error))
            await asyncio.sleep(every_seconds)

    async def context(app: web.Application) -> AsyncIterator[None]:
        async with background(prune_forever(app[DATABASE])):
            yield

    return context
