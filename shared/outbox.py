"""Transactional outbox: an event is stored in the same transaction as the change it reports,
then a relay publishes it with a broker confirm and deletes it.

A crash before the commit loses both the change and the event; a crash after it leaves the event
in the table for the relay. A crash between the confirm and the delete publishes the event again,
which consumers' inboxes absorb. Relays of several replicas share the table with SKIP LOCKED.
"""

import asyncio

import asyncpg
import structlog

from shared.bus import Broker, publish
from shared.events import Envelope
from shared.metrics import EVENTS_PUBLISHED

log = structlog.get_logger(__name__)

# One round trip: the rows, and a NOTIFY that is delivered at commit, so the relay wakes
# exactly when they become visible.
OUTBOX_INSERT = """
WITH stored AS (
    INSERT INTO outbox (event_id, routing_key, correlation_id, body)
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[])
)
SELECT pg_notify(current_schema() || '_outbox', '')
"""
# Forgetting a delete in a crash only publishes the events again, which consumers' inboxes
# absorb: so the relay's commit need not wait for the disk, said in the claim's own round trip.
OUTBOX_CLAIM = """
SELECT id, event_id, routing_key, correlation_id, body
FROM outbox, (SELECT set_config('synchronous_commit', 'off', true)) AS no_flush_wait
ORDER BY id
LIMIT $1
FOR UPDATE OF outbox SKIP LOCKED
"""
OUTBOX_DELETE = "DELETE FROM outbox WHERE id = ANY($1::bigint[])"
# The outbox holds only what is not yet published, so it is small while the relay keeps up.
OUTBOX_BACKLOG = """
SELECT count(*) AS events,
       coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest_age
FROM outbox
"""


async def add(conn: asyncpg.Connection, *events: Envelope) -> None:
    """Store events in the caller's transaction; they leave when it commits."""
    if not events:
        return
    await conn.execute(
        OUTBOX_INSERT,
        [event.id for event in events],
        [event.type for event in events],
        [event.correlation_id for event in events],
        [event.model_dump_json().encode() for event in events],
    )


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
        """Publish up to one batch; return how many events left the outbox."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(OUTBOX_CLAIM, self.batch_size)
            if not rows:
                return 0
            # One channel keeps publish order; the confirms are awaited together.
            await asyncio.gather(
                *(
                    publish(
                        self.broker.exchanges.events,
                        body=row["body"],
                        routing_key=row["routing_key"],
                        message_id=str(row["event_id"]),
                        correlation_id=row["correlation_id"],
                        event_type=row["routing_key"],
                    )
                    for row in rows
                )
            )
            await conn.execute(OUTBOX_DELETE, [row["id"] for row in rows])
        for row in rows:
            EVENTS_PUBLISHED.labels(self.service, row["routing_key"]).inc()
        log.debug("outbox published", count=len(rows))
        return len(rows)


def outbox_channel(schema: str) -> str:
    """The NOTIFY channel a schema's outbox rings on (see OUTBOX_INSERT)."""
    return f"{schema}_outbox"
