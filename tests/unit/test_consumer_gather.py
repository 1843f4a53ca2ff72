"""How the consumer gathers a batch (shared/consumer.py): what waits is taken at once, a full
batch goes however long the linger, and a stop met while gathering ends the batch unacked."""

import asyncio

from shared.consumer import Consumer, EventHandlers
from shared.events import BATCH_CONTENT_TYPE, batch_body
from shared.topology import QUEUES
from tests.support.events import placed
from tests.unit.test_event_batches import Arrived, body_of

HOUR = 3600.0


def consumer(batch_size: int, linger_seconds: float) -> Consumer:
    """The allocator's consumer, without a broker or a database: gathering needs neither."""

    async def nothing(conn, events) -> None:
        return None

    handlers = EventHandlers(frozenset(QUEUES["allocator"].routing_keys), nothing)
    return Consumer(
        service="allocator",
        pool=None,
        broker=None,
        handlers=handlers,
        prefetch_count=10,
        batch_size=batch_size,
        linger_seconds=linger_seconds,
    )


def now() -> float:
    return asyncio.get_running_loop().time()


def single() -> Arrived:
    return Arrived(body_of(placed("gather", 1)), "application/json")


def batch(events: int) -> Arrived:
    bodies = [body_of(placed("gather", 1)) for _ in range(events)]
    return Arrived(batch_body(bodies), BATCH_CONTENT_TYPE)


async def test_without_a_linger_a_batch_is_what_already_waits():
    taking = consumer(batch_size=10, linger_seconds=0)
    first, waiting = single(), single()
    await taking._arrive(waiting)

    messages, deliveries = await taking._gather(now(), first)

    assert messages == [first, waiting] and len(deliveries) == 2


async def test_a_full_batch_goes_at_once_however_long_the_linger():
    """Counted in events, not messages; a message is never split, so the batch may pass it."""
    taking = consumer(batch_size=5, linger_seconds=HOUR)
    first, second, left = batch(3), batch(3), single()
    for message in (second, left):
        await taking._arrive(message)

    messages, deliveries = await asyncio.wait_for(taking._gather(now(), first), 60)

    assert messages == [first, second] and len(deliveries) == 6
    assert taking._arrived.get_nowait()[1] is left, "the next batch's"


async def test_a_linger_takes_what_arrives_during_it():
    taking = consumer(batch_size=3, linger_seconds=HOUR)
    gathering = asyncio.create_task(taking._gather(now(), single()))
    later = [single(), single()]
    for message in later:
        await asyncio.sleep(0)
        await taking._arrive(message)

    messages, _ = await asyncio.wait_for(gathering, 60)

    assert messages[1:] == later


async def test_a_stop_met_while_lingering_ends_the_batch_unhandled():
    taking = consumer(batch_size=3, linger_seconds=HOUR)
    gathering = asyncio.create_task(taking._gather(now(), single()))
    await asyncio.sleep(0)
    taking._arrived.put_nowait(None)

    assert await asyncio.wait_for(gathering, 60) is None


async def test_a_message_that_waited_its_linger_out_before_it_was_taken_waits_no_more():
    """A busy consumer takes a message late: the linger ran from when it came."""
    taking = consumer(batch_size=10, linger_seconds=HOUR)
    first = single()

    messages, _ = await asyncio.wait_for(taking._gather(now() - HOUR, first), 60)

    assert messages == [first]
