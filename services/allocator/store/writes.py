"""What a flush writes, as few statements as the rows allow: each kind of row is one
set-based statement (`Write`), and consecutive kinds that touch different tables go together
as one statement (shared/outbox.py's `with_writes`), the outbox's rows and the relay's NOTIFY
with the last. On a busy machine every round trip waits for a core, here and in Postgres: at a
low rate a batch is an event or two, so its cost is its round trips, not its rows."""

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from shared import outbox

# The queue's triggers keep its counts: a change to the queue changes these too.
QUEUE = frozenset({"queue", "queue_totals", "queue_hours", "queue_buyers", "queue_buyer_totals"})
# buyer_days' trigger counts the served buyers still waiting: it reads what the queue's wrote,
# so it must see the queue's change (a statement of its own after it).
BUYER_DAYS = frozenset({"buyer_days", "queue_buyers", "queue_buyer_totals"})


@dataclass(frozen=True)
class Write:
    """One statement (its parameters numbered from $1), its arguments, and every table it
    writes or reads, its triggers' included: two writes that share none can go as one
    statement, as neither needs to see the other's rows."""

    statement: str
    arguments: Sequence
    tables: frozenset[str]


def outbox_write(events) -> Write | None:
    stored = outbox.columns(events)
    return None if stored is None else Write(outbox.OUTBOX_ROWS, stored, frozenset({"outbox"}))


async def write_all(conn: asyncpg.Connection, writes: list[Write]) -> None:
    """The writes in their order, consecutive ones on different tables in one statement; the
    outbox's (last, when there is one) with the NOTIFY that wakes the relay at commit."""
    for group in _groups(writes):
        if len(group) == 1 and group[0].statement is not outbox.OUTBOX_ROWS:
            await conn.execute(group[0].statement, *group[0].arguments)
            continue
        statement, arguments = outbox.with_writes([(w.statement, w.arguments) for w in group])
        await conn.execute(statement, *arguments)


def _groups(writes: list[Write]) -> list[list[Write]]:
    groups: list[list[Write]] = []
    tables: set[str] = set()
    for write in writes:
        if groups and not tables & write.tables:
            groups[-1].append(write)
            tables |= write.tables
        else:
            groups.append([write])
            tables = set(write.tables)
    return groups
