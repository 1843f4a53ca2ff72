"""The broker's floor under the whole system: what RabbitMQ itself spends on one order's events,
and so the most orders a second it lets the design carry on this machine, whatever the services do.

    .venv/bin/python -m bench.broker_floor                  # 5,000 orders' events
    .venv/bin/python -m bench.broker_floor --orders 20000 --events-per-message 10 --json out.json

An order in the running system puts `EVENTS_PER_ORDER` on the bus: order.placed, order.queued
and order.allocated. The notifier's notification.sent are no longer published (nobody consumes
them: shared/outbox.py drops them). The events travel as the outbox relay sends them: a message
per routing key carries a batch of events (shared/events/batch.py), here `--events-per-message`
consecutive orders' events of one type (the relay's batch depends on what waits when it wakes:
one at a trickle, up to MAX_EVENTS_PER_MESSAGE under load). They go through the services' own
topology (shared/topology.py, in a sandbox vhost), so each is routed as in production:
order.placed into two quorum queues, order.queued into one, order.allocated into three.

The broker gets the cheapest work the services could give it: the messages of all orders
published `PUBLISH_CHUNK` confirms at a time (as a relay's claim), through shared/bus.py's
`publish` as the relays do, and one consumer per queue with the services' prefetch acking what
it has in one `multiple` ack (as shared/consumer.py does), taking each message apart into its
events as the consumers do. Timed from the first publish to the last ack; the RabbitMQ node's
CPU (its beam.smp: the whole node) over the same time, per order, and this process's own. From
them, `1000 × CPUs / ms per order`: the most orders a second this machine's cores could carry if
the broker, and then the broker with its clients, had them all to itself.
"""

import argparse
import asyncio
import json
import os
import time
from collections import Counter
from pathlib import Path

from aio_pika.abc import AbstractIncomingMessage

from bench.measure import rate_the_cpus_allow
from bench.order_events import PUBLISH_CHUNK, orders_placed
from bench.report import render_broker_floor
from bench.runners import broker_pids, cpu_of
from services.allocator.app import Settings
from shared.bus import Broker, connect, publish
from shared.events import BATCH_CONTENT_TYPE, batch_body, events_in
from shared.logging import configure_logging
from shared.topology import QUEUES
from tools.sandbox import sandbox

EVENTS_PER_ORDER = ("order.placed", "order.queued", "order.allocated")
EVENTS_PER_MESSAGE = 10  # a relay's batch under a steady load; see the docstring
DRAIN_TIMEOUT = 300  # seconds; a run that has not drained by then is broken, not slow


def queues_of(routing_key: str) -> list[str]:
    """The consumer queues an event lands in (every binding is an exact routing key)."""
    return [queue.name for queue in QUEUES.values() if routing_key in queue.routing_keys]


def deliveries_per_order() -> Counter:
    """Events each queue gets per order."""
    return Counter(name for key in EVENTS_PER_ORDER for name in queues_of(key))


def messages_of(orders: int, bodies: list[bytes], per_message: int) -> list[tuple[str, bytes, str]]:
    """(routing key, body, message id) of every message carrying the orders' events: for each
    run of `per_message` orders, one message per routing key."""
    messages = []
    for first in range(0, orders, per_message):
        numbers = range(first, min(first + per_message, orders))
        for key in EVENTS_PER_ORDER:
            body = batch_body([bodies[number % len(bodies)] for number in numbers])
            messages.append((key, body, f"{first}-{key}"))
    return messages


class AckingDrain:
    """A consumer that does no work: it acks what has arrived, one `multiple` ack at a time."""

    def __init__(self, expected: int) -> None:
        self.expected = expected  # messages
        self.received = 0
        self.events = 0
        self.acked = 0
        self.latest: AbstractIncomingMessage | None = None
        self._arrived = asyncio.Event()

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        self.received += 1
        self.events += len(events_in(message.body, message.content_type))
        if self.latest is None or message.delivery_tag > self.latest.delivery_tag:
            self.latest = message
        self._arrived.set()

    async def run(self) -> None:
        while self.acked < self.expected:
            await self._arrived.wait()
            self._arrived.clear()
            received, latest = self.received, self.latest
            await latest.ack(multiple=True)
            self.acked = received


async def measure(broker: Broker, orders: int, prefetch: int, per_message: int) -> dict:
    bodies = [message.body for message in orders_placed(min(orders, 1_000), skus=1)]
    events = messages_of(orders, bodies, per_message)
    expected = Counter(name for key, _, _ in events for name in queues_of(key))
    drains, channels = {}, []
    for name, count in expected.items():
        channel = await broker.connection.channel()
        await channel.set_qos(prefetch_count=prefetch)
        channels.append(channel)
        drains[name] = AckingDrain(count)
        await (await channel.get_queue(name)).consume(drains[name].on_message)

    broker_cpu, own_cpu = cpu_of(broker_pids()), time.process_time()
    started = time.perf_counter()
    draining = [asyncio.create_task(drain.run()) for drain in drains.values()]
    for start in range(0, len(events), PUBLISH_CHUNK):
        await asyncio.gather(
            *(
                publish(
                    broker.exchanges.events,
                    body=body,
                    routing_key=key,
                    message_id=event_id,
                    correlation_id=event_id,
                    event_type=key,
                    content_type=BATCH_CONTENT_TYPE,
                )
                for key, body, event_id in events[start : start + PUBLISH_CHUNK]
            )
        )
    async with asyncio.timeout(DRAIN_TIMEOUT):
        await asyncio.gather(*draining)
    seconds = time.perf_counter() - started
    broker_ms = 1000 * (cpu_of(broker_pids()) - broker_cpu) / orders
    client_ms = 1000 * (time.process_time() - own_cpu) / orders
    for channel in channels:  # the consumers go with them, so the next run's get every message
        await channel.close()
    cpus = os.cpu_count() or 1
    delivered = {name: drain.events for name, drain in drains.items()}
    assert delivered == {name: n * orders for name, n in deliveries_per_order().items()}, delivered
    return {
        "orders": orders,
        "events_per_order": len(EVENTS_PER_ORDER),
        "events_per_message": per_message,
        # Messages, the broker's unit of work: a fraction of one when events share them.
        "published_per_order": round(len(events) / orders, 3),
        "deliveries_per_order": round(sum(expected.values()) / orders, 3),
        "deliveries_by_queue": {name: round(n / orders, 3) for name, n in expected.items()},
        "events_delivered_per_order": sum(deliveries_per_order().values()),
        "seconds": round(seconds, 2),
        "orders_per_second": round(orders / seconds, 1),
        "broker_cpu_ms_per_order": round(broker_ms, 3),
        "client_cpu_ms_per_order": round(client_ms, 3),
        "cpus": cpus,
        "orders_per_second_the_cpus_allow": rate_the_cpus_allow([broker_ms], cpus),
        # With the clients' share: the services publish and consume through the same aio-pika.
        "orders_per_second_the_cpus_allow_with_clients": rate_the_cpus_allow(
            [broker_ms, client_ms], cpus
        ),
    }


async def run(orders: int, warmup: int = 500, per_message: int = EVENTS_PER_MESSAGE) -> dict:
    prefetch = Settings().prefetch_count  # as the services read it
    async with sandbox("plut_bench") as box:
        broker = await connect(box.amqp_url, "bench-broker-floor")
        try:
            await measure(broker, warmup, prefetch, per_message)
            return await measure(broker, orders, prefetch, per_message)
        finally:
            await broker.connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5_000)
    parser.add_argument("--events-per-message", type=int, default=EVENTS_PER_MESSAGE)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    configure_logging("bench", "console", "WARNING")
    result = asyncio.run(run(args.orders, per_message=args.events_per_message))
    print("\n".join(render_broker_floor(result)))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
