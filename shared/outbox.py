"""Transactional outbox: an event is stored in the same transaction as the change it reports,
then a relay publishes it with a broker confirm and deletes it.

An event that no queue is bound to (shared/topology.py: notification.sent and .failed today)
is dropped by `add`, not stored: the broker would drop it anyway, and dropping it before the
insert spares its row, the relay's publish and the delete. The topology is code deployed with
every publisher, so a new consumer's binding and the events it needs arrive together.

The relay publishes each claim as batches (shared/events/batch.py): the events waiting for one
routing key and partition, in the order they were stored, go as one message of at most
MAX_EVENTS_PER_MESSAGE, confirmed by the broker. An event that names a product has its
partition (shared/partitions.py) stored beside it by `add` and travels with it as the message's
`partition` header, so a batch message holds one partition's events and reaches that
partition's queue. Events of different routing keys or partitions travel in different
messages, so a consumer may see them in another order than they were stored (as it may
anyway with several relays or a redelivery: handlers never assume order).

A crash before the commit loses both the change and the event; a crash after it leaves the event
in the table for the relay. A crash between the confirm and the delete publishes the event again,
which consumers' inboxes absorb. Relays of several replicas share the table, taking turns.
"""

import asyncio
from collections.abc import Sequence
from operator import itemgetter

import asyncpg
import structlog

from shared.bus import Broker, publish
from shared.db import in_one_statement
from shared.events import BATCH_CONTENT_TYPE, Envelope, batch_body
from shared.events.batch import chunks
from shared.metrics import EVENTS_PUBLISHED, MESSAGES_PUBLISHED
from shared.partitions import PARTITION_HEADER, event_partition
from shared.topology import CONSUMED_ROUTING_KEYS

log = structlog.get_logger(__name__)

# The rows (`columns` gives their arguments), and a NOTIFY that is delivered at commit, so the
# relay wakes exactly when they become visible. A unit of work that writes other rows too may
# put both in its own statement, with them (shared/db.py's `in_one_statement`).
OUTBOX_ROWS = """
INSERT INTO outbox (event_id, routing_key, correlation_id, body, partition)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::smallint[])
"""
NOTIFY_RELAY = "SELECT pg_notify(current_schema() || '_outbox', '')"
# One round trip: the rows and the NOTIFY.
OUTBOX_INSERT = f"WITH stored AS ({OUTBOX_ROWS})\n{NOTIFY_RELAY}"
# The claim deletes what it takes, in the transaction that commits only after the broker
# confirmed the publish: a failed publish rolls the delete back, and the rows wait for the next
# claim. One statement rather than a select and a delete spares a round trip per claim.
# Forgetting a delete in a crash only publishes the events again, which consumers' inboxes
# absorb: so the relay's commit need not wait for the disk, said in the claim's own round trip.
# Relays take turns (the schema's transaction advisory lock, in the same statement, taken before
# any row is locked): one claim publishes and commits before the next claims, so no relay of
# another replica publishes a later event while an earlier claim's are still on their way. With
# the orders' product locks (services/orders/store/products.py) a product's events leave in the
# order of their ids. The statement's snapshot may predate the turn: rows the last turn deleted
# are skipped, rows committed since wait for the next claim, behind the ones this claim sees.
OUTBOX_CLAIM = """
DELETE FROM outbox
WHERE id IN (
    SELECT id
    FROM outbox,
         (SELECT set_config('synchronous_commit', 'off', true),
                 pg_advisory_xact_lock(hashtextextended('outbox' || chr(10) || current_schema(), 0))
         ) AS turn
    ORDER BY id
    LIMIT $1
    FOR UPDATE OF outbox SKIP LOCKED
)
RETURNING id, event_id, routing_key, correlation_id, body, partition
"""
# The outbox holds only what is not yet published, so it is small while the relay keeps up.
OUTBOX_BACKLOG = """
SELECT count(*) AS events,
       coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest_age
FROM outbox
"""


async def add(conn: asyncpg.Connection, *events: Envelope) -> None:
    """Store events in the caller's transaction; they leave when it commits. Those nobody
    consumes are dropped here."""
    stored = columns(events)
    if stored is not None:
        await conn.execute(OUTBOX_INSERT, *stored)


def with_writes(writes: Sequence[tuple[str, Sequence]], *, notify: bool = True) -> tuple[str, list]:
    """Writes that need not see each other's rows, the outbox's (OUTBOX_ROWS, `columns`) last
    when there are events, as one statement and its arguments: with the NOTIFY that wakes the
    relay at commit when the outbox's rows are among them and `notify` (a unit of work that
    wakes its own relay says not)."""
    last = NOTIFY_RELAY if notify and writes[-1][0] == OUTBOX_ROWS else "SELECT 1"
    statement = in_one_statement(tuple(change for change, _ in writes), last)
    return statement, [column for _, columns in writes for column in columns]


def columns(events: Sequence[Envelope]) -> list[list] | None:
    """The events as OUTBOX_ROWS's arguments; None when nobody consumes any of them."""
    events = [event for event in events if event.type in CONSUMED_ROUTING_KEYS]
    if not events:
        return None
    return [
        [event.id for event in events],
        [event.type for event in events],
        [event.correlation_id for event in events],
        [event.model_dump_json().encode() for event in events],
        [event_partition(event.type, event.hub, event.payload) for event in events],
    ]


async def backlog(conn: asyncpg.Connection) -> tuple[int, float]:
    """Events waiting in the outbox, and the age in seconds of the oldest (0 when none)."""
    row = await conn.fetchrow(OUTBOX_BACKLOG)
    return row["events"], row["oldest_age"]


class OutboxRelay:
    """Publishes the outbox in batches, whenever a commit rings or the poll period passes."""

    def __init__(
        self, *, service: str, pool: asyncpg.Pool, broker: Broker, batch_size: int
    ) -> None:
        self.service = service
        self.pool = pool
        self.broker = broker
        self.batch_size = batch_size

    async def publish_batch(self) -> int:
        """Publish up to one claim; return how many events left the outbox."""
        async with self.pool.acquire() as conn, conn.transaction():
            # DELETE ... RETURNING answers in no set order: the rows' ids are the stored order.
            rows = sorted(await conn.fetch(OUTBOX_CLAIM, self.batch_size), key=itemgetter("id"))
            if not rows:
                return 0
            messages = [
                message
                for key_rows in by_key_and_partition(rows).values()
                for message in chunks(key_rows)
            ]
            # One channel keeps publish order; the confirms are awaited together.
            await asyncio.gather(*(self._publish(message) for message in messages))
        for message in messages:
            routing_key = message[0]["routing_key"]
            MESSAGES_PUBLISHED.labels(self.service, routing_key).inc()
            EVENTS_PUBLISHED.labels(self.service, routing_key).inc(len(message))
        log.debug("outbox published", events=len(rows), messages=len(messages))
        return len(rows)

    async def _publish(self, rows: Sequence[asyncpg.Record]) -> None:
        """One batch message: its id is its first event's; its correlation id is theirs when
        they share one (a single event's always)."""
        correlation_ids = {row["correlation_id"] for row in rows}
        partition = rows[0]["partition"]
        await publish(
            self.broker.exchanges.events,
            body=batch_body([row["body"] for row in rows]),
            routing_key=rows[0]["routing_key"],
            message_id=str(rows[0]["event_id"]),
            correlation_id=correlation_ids.pop() if len(correlation_ids) == 1 else "",
            event_type=rows[0]["routing_key"],
            content_type=BATCH_CONTENT_TYPE,
            headers=None if partition is None else {PARTITION_HEADER: str(partition)},
        )


def by_key_and_partition(
    rows: Sequence[asyncpg.Record],
) -> dict[tuple[str, int | None], list[asyncpg.Record]]:
    """The claimed rows per routing key and partition, each list in the order the rows were
    stored."""
    grouped: dict[tuple[str, int | None], list[asyncpg.Record]] = {}
    for row in rows:
        grouped.setdefault((row["routing_key"], row["partition"]), []).append(row)
    return grouped


def outbox_channel(schema: str) -> str:
    """The NOTIFY channel a schema's outbox rings on (see OUTBOX_INSERT)."""
    return f"{schema}_outbox"
