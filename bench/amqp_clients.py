"""What the AMQP client costs: confirmed publishes and consumed events a second, with aio-pika's
objects and with the aiormq channel under them, one event per message and batches of 10 and 100.

    .venv/bin/python -m bench.amqp_clients            # 20,000 events a case
    .venv/bin/python -m bench.amqp_clients --quick    # 5,000

In a sandbox vhost of its own (removed after), one quorum queue as the services' are. Publishing:
the events of a case as messages of `per_message` events (a JSON list, as the outbox relay sends
them), confirms awaited `CONFIRM_WINDOW` at a time. Consuming: the queue filled, then drained by
one consumer with the services' prefetch that takes each message apart (shared/events/batch.py)
and acks with one `multiple` ack per arrival burst. Both run on aio-pika's robust connection (so
reconnects stay the same); `aiormq` uses its `get_underlay_channel()` directly, with the message
properties built once. Figures: events a second and this process's CPU µs per event. The
machine is shared and noisy: compare the rows of one run, not runs.

Last, what an event's JSON costs per event: reading it with pydantic's own parser, orjson then
pydantic, or the standard library then pydantic; writing it with pydantic or orjson.
"""

import argparse
import asyncio
import json
import time
import timeit

import aio_pika
import aiormq
import orjson
from aio_pika.abc import AbstractRobustChannel
from pamqp.commands import Basic

from bench.order_events import orders_placed
from shared.config import ServiceSettings
from shared.events import BATCH_CONTENT_TYPE, Envelope, batch_body, events_in
from tools.sandbox import sandbox

QUEUE = "bench.clients"
CONFIRM_WINDOW = 500  # messages whose confirms are awaited together, as a relay's claim
PER_MESSAGE = (1, 10, 100)
PREFETCH = ServiceSettings.model_fields["prefetch_count"].default  # as the services take


def messages_of(bodies: list[bytes], per_message: int) -> list[bytes]:
    if per_message == 1:
        return bodies
    return [batch_body(bodies[i : i + per_message]) for i in range(0, len(bodies), per_message)]


def content_type_of(per_message: int) -> str:
    return "application/json" if per_message == 1 else BATCH_CONTENT_TYPE


async def publish_aio_pika(channel: AbstractRobustChannel, bodies: list[bytes], kind: str) -> None:
    exchange = channel.default_exchange
    for start in range(0, len(bodies), CONFIRM_WINDOW):
        await asyncio.gather(
            *(
                exchange.publish(
                    aio_pika.Message(
                        body,
                        content_type=kind,
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        message_id=str(number),
                        correlation_id="bench",
                        type="order.placed",
                    ),
                    routing_key=QUEUE,
                    mandatory=False,
                )
                for number, body in enumerate(bodies[start : start + CONFIRM_WINDOW], start)
            )
        )


async def publish_aiormq(channel: AbstractRobustChannel, bodies: list[bytes], kind: str) -> None:
    underlay = await channel.get_underlay_channel()
    for start in range(0, len(bodies), CONFIRM_WINDOW):
        await asyncio.gather(
            *(
                underlay.basic_publish(
                    body,
                    routing_key=QUEUE,
                    properties=Basic.Properties(
                        content_type=kind,
                        delivery_mode=2,
                        message_id=str(number),
                        correlation_id="bench",
                        message_type="order.placed",
                    ),
                )
                for number, body in enumerate(bodies[start : start + CONFIRM_WINDOW], start)
            )
        )


class Drain:
    """Counts the events of what arrives; acks with one `multiple` ack per burst."""

    def __init__(self, events: int) -> None:
        self.wanted = events
        self.events = 0
        self.latest = None
        self.done = asyncio.Event()
        self._acking = False

    def arrived(self, body: bytes, kind: str | None, ack) -> None:
        self.events += len(events_in(body, kind))
        self.latest = ack
        if not self._acking:
            self._acking = True
            asyncio.get_running_loop().call_soon(self._ack)

    def _ack(self) -> None:
        self._acking = False
        task = asyncio.ensure_future(self.latest())
        if self.events >= self.wanted:
            task.add_done_callback(lambda _: self.done.set())


async def consume_aio_pika(channel: AbstractRobustChannel, drain: Drain) -> None:
    queue = await channel.get_queue(QUEUE)

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        drain.arrived(message.body, message.content_type, lambda: message.ack(multiple=True))

    tag = await queue.consume(on_message)
    await drain.done.wait()
    await queue.cancel(tag)


async def consume_aiormq(channel: AbstractRobustChannel, drain: Drain) -> None:
    underlay = await channel.get_underlay_channel()

    async def on_message(message: aiormq.abc.DeliveredMessage) -> None:
        tag = message.delivery.delivery_tag
        drain.arrived(
            message.body,
            message.header.properties.content_type,
            lambda: underlay.basic_ack(tag, multiple=True),
        )

    consumer = await underlay.basic_consume(QUEUE, on_message)
    await drain.done.wait()
    await underlay.basic_cancel(consumer.consumer_tag)


PUBLISHERS = {"aio-pika": publish_aio_pika, "aiormq": publish_aiormq}
CONSUMERS = {"aio-pika": consume_aio_pika, "aiormq": consume_aiormq}


async def timed(work) -> tuple[float, float]:
    """Wall seconds and this process's CPU seconds of `await work`."""
    wall, cpu = time.perf_counter(), time.process_time()
    await work
    return time.perf_counter() - wall, time.process_time() - cpu


async def case(connection, client: str, per_message: int, bodies: list[bytes]) -> dict:
    messages = messages_of(bodies, per_message)
    kind = content_type_of(per_message)
    channel = await connection.channel(publisher_confirms=True)
    await channel.set_qos(prefetch_count=PREFETCH)
    published = await timed(PUBLISHERS[client](channel, messages, kind))
    consumed = await timed(CONSUMERS[client](channel, Drain(len(bodies))))
    await channel.close()
    events = len(bodies)
    return {
        "client": client,
        "events_per_message": per_message,
        "published_per_second": round(events / published[0]),
        "publish_cpu_us_per_event": round(1e6 * published[1] / events, 1),
        "consumed_per_second": round(events / consumed[0]),
        "consume_cpu_us_per_event": round(1e6 * consumed[1] / events, 1),
    }


def json_costs(bodies: list[bytes]) -> dict:
    """µs per event to read envelopes' JSON, and to write one, several ways; the best of five
    rounds each (the machine is shared)."""
    body, batch, rounds = bodies[0], batch_body(bodies[:100]), 300
    envelope = Envelope.model_validate_json(body)
    ways = {
        "one: pydantic model_validate_json": (lambda: Envelope.model_validate_json(body), 1),
        "one: orjson.loads + model_validate": (
            lambda: Envelope.model_validate(orjson.loads(body)),
            1,
        ),
        "one: json.loads + model_validate": (lambda: Envelope.model_validate(json.loads(body)), 1),
        "100: orjson.loads + each model_validate": (
            lambda: [Envelope.model_validate(e) for e in orjson.loads(batch)],
            100,
        ),
        "100: events_in (pydantic, list[Envelope])": (
            lambda: events_in(batch, BATCH_CONTENT_TYPE),
            100,
        ),
        "write one: pydantic model_dump_json": (lambda: envelope.model_dump_json(), 1),
        "write one: orjson.dumps(model_dump(mode=json))": (
            lambda: orjson.dumps(envelope.model_dump(mode="json")),
            1,
        ),
    }
    return {
        name: round(1e6 * min(timeit.repeat(way, number=rounds, repeat=5)) / rounds / events, 1)
        for name, (way, events) in ways.items()
    }


async def run(events: int) -> dict:
    bodies = [message.body for message in orders_placed(events, skus=1)]
    async with sandbox("plut_bench") as box:
        connection = await aio_pika.connect_robust(box.amqp_url)
        try:
            setup = await connection.channel()
            await setup.declare_queue(QUEUE, durable=True, arguments={"x-queue-type": "quorum"})
            await case(connection, "aio-pika", 10, bodies[:1000])  # warm up
            rows = [
                await case(connection, client, per_message, bodies)
                for per_message in PER_MESSAGE
                for client in ("aio-pika", "aiormq")
            ]
        finally:
            await connection.close()
    return {"events": events, "cases": rows, "json_us_per_event": json_costs(bodies)}


def render(result: dict) -> list[str]:
    lines = [
        f"{result['events']} events a case; confirmed publishes, then one consumer draining",
        f"{'client':<9} {'ev/msg':>6} {'pub ev/s':>9} {'pub µs/ev':>9} "
        f"{'cons ev/s':>9} {'cons µs/ev':>10}",
    ]
    for row in result["cases"]:
        lines.append(
            f"{row['client']:<9} {row['events_per_message']:>6} "
            f"{row['published_per_second']:>9} {row['publish_cpu_us_per_event']:>9} "
            f"{row['consumed_per_second']:>9} {row['consume_cpu_us_per_event']:>10}"
        )
    lines.append("an event's JSON, µs per event:")
    lines += [f"  {name:<48} {us:>6}" for name, us in result["json_us_per_event"].items()]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="5,000 events a case")
    args = parser.parse_args()
    result = asyncio.run(run(5_000 if args.quick else args.events))
    print("\n".join(render(result)))


if __name__ == "__main__":
    main()
