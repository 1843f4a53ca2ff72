"""The consumer's linger against the real broker and database: a batch that fills goes at once,
however long the linger, and every event of a lingered batch is committed once."""

from tests.integration.test_consumer_batches import Recorder, consuming
from tests.support.bus import publish_batch, publish_event
from tests.support.events import order_id, placed
from tools.client import wait_until

HOUR = 3600.0


async def test_a_full_batch_goes_at_once_and_each_of_its_events_is_handled_once():
    """With an hour's linger the first message waits for the others, and the batch goes the
    moment it is full: the test ends only if it does. A redelivered event in it is skipped."""
    recorder = Recorder()
    async with consuming(recorder.handle_batch) as (pool, connection, consumer):
        consumer.batch_size, consumer.linger_seconds = 5, HOUR
        await consumer.start()
        hub = "linger"
        first = [placed(hub, 1) for _ in range(5)]
        for event in first:  # five messages of one event each
            await publish_event(connection, event)

        async def seen(count: int):
            return await pool.fetchval("SELECT count(*) FROM seen") == count or None

        await wait_until(lambda: seen(5), what="the first five, as one batch")
        second = [placed(hub, 2) for _ in range(4)]
        await publish_event(connection, first[0])  # again: the inbox skips it
        await publish_batch(connection, *second)  # one message, four events: the batch is full
        await wait_until(lambda: seen(9), what="the next four, with the duplicate")

        handled = [str(row["order_id"]) for row in await pool.fetch("SELECT order_id FROM seen")]
        assert sorted(handled) == sorted(order_id(event) for event in [*first, *second])
        assert recorder.batch_sizes == [5, 4], "each lingered batch in one transaction"
        assert await pool.fetchval("SELECT count(*) FROM inbox") == 9
