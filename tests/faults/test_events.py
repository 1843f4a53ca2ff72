"""Faults in what the bus carries, with orders and deliveries flowing: poison events, every
event twice, events out of order."""

import json
import re

from aio_pika.abc import AbstractRobustConnection

from shared.consumer import HANDLER_ATTEMPTS
from tests.faults.bus_faults import Duplicator, Scrambler
from tests.faults.ledger import queue_depths
from tests.faults.stream import Stream
from tests.faults.world import Faults
from tests.support.bus import dead_letters, publish_event, publish_raw
from tests.support.events import placed
from tools.client import wait_until
from tools.local_services import ServiceProcess


async def test_poison_events_are_dead_lettered_with_their_reason_while_the_rest_flows(
    faults: Faults, amqp: AbstractRobustConnection
):
    """Three bad events among the stream's, on a routing key two services consume: bytes that
    are no event, an event of a version nobody knows (both parked at once), and an order of
    2,147,483,648 units, which the allocator cannot take (its estimated date overflows the
    calendar, the number its column): tried alone HANDLER_ATTEMPTS times, then parked. Each
    waits in the consumer's dead-letter queue with the reason in `x-error`; every other event
    goes through."""
    world = faults.world
    parked: dict[str, list] = {}

    async def poison(stream: Stream) -> str:
        await stream.reached(40)
        await publish_raw(amqp, b"{not an event", "order.placed", message_id="poison-bytes")
        future = placed(stream.hub, 1).model_dump(mode="json") | {"version": 99}
        await publish_raw(amqp, json.dumps(future).encode(), "order.placed", "poison-version")
        unstorable = placed(stream.hub, 2**31)
        await publish_event(amqp, unstorable)
        expected = {"allocator.dead-letter": 3, "notifier.dead-letter": 2}

        async def all_parked() -> bool:
            depths = await queue_depths(world.amqp_url)
            return all(depths[name] >= count for name, count in expected.items())

        await wait_until(all_parked, what=f"the poison parked: {expected}")
        for service in ("allocator", "notifier"):
            parked[service] = await dead_letters(amqp, service)
        parked["unstorable"] = [str(unstorable.id)]
        return "3 poison events: allocator parked 3, notifier 2; the rest flowed"

    await faults.run("poison events", poison)

    reasons = {
        service: {m.message_id: m.headers["x-error"] for m in parked[service]}
        for service in ("allocator", "notifier")
    }
    for service, by_id in reasons.items():
        assert set(by_id) >= {"poison-bytes", "poison-version"}, by_id
        assert by_id["poison-bytes"].startswith("unreadable event"), by_id
        assert "version 99" in by_id["poison-version"], by_id
        for message in parked[service]:
            assert message.headers["x-consumer"] == service
            assert message.headers["x-original-routing-key"] == "order.placed"
    [unstorable] = parked["unstorable"]
    assert set(reasons["notifier"]) == {"poison-bytes", "poison-version"}
    assert re.match(r"\w+Error: ", reasons["allocator"][unstorable]), reasons["allocator"]
    assert tries_before_parking(world.stack["allocator"], unstorable) == HANDLER_ATTEMPTS


def tries_before_parking(service: ServiceProcess, event_id: str) -> int:
    """How many times the service tried the event alone before it parked it: the failures it
    logged since the event arrived (each retry logs one), and the last one."""
    lines = [json.loads(line) for line in service.log_path.read_text().splitlines() if line]
    parked_at = next(
        i
        for i, line in enumerate(lines)
        if line["event"] == "event failed; dead-lettering it" and line.get("event_id") == event_id
    )
    retries = 0
    for line in reversed(lines[:parked_at]):
        if line["event"] != "event handler failed; retrying":
            break
        retries += 1
    return retries + 1


async def test_every_event_delivered_twice_changes_nothing_twice(
    faults: Faults, amqp: AbstractRobustConnection
):
    async def duplicate_everything(stream: Stream) -> str:
        duplicator = await Duplicator().open(amqp)
        try:
            await stream.after(120)
        finally:
            await duplicator.close()
        assert duplicator.copies > 120
        return f"{duplicator.copies} events published a second time, same id and body"

    await faults.run("every event twice", duplicate_everything)


async def test_events_handed_to_every_consumer_out_of_order_end_the_same(
    faults: Faults, amqp: AbstractRobustConnection
):
    """Each consumer gets its events in bursts, newest first: an allocation before the order was
    queued, a delivery's units before the orders ahead of them; every unit is still given once
    and every message sent once."""

    async def scramble(stream: Stream) -> str:
        scrambler = await Scrambler(period=0.3).open(amqp)
        try:
            await stream.after(120)
        finally:
            await scrambler.close()
        assert scrambler.handed_on > 120 and scrambler.reordered > 0
        return (
            f"{scrambler.handed_on} events handed on in 0.3s bursts, newest first; "
            f"{scrambler.reordered} overtook an earlier one"
        )

    await faults.run("events out of order", scramble)
