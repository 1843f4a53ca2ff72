"""The suite's Python load generator, run as a process of its own so that it never shares an
event loop (or a core's time slices, as far as the OS allows) with the services it measures.

    python -m bench.loadgen --spec '{"mode": "closed", ...}' --output result.json

Modes (the spec's "mode"):

- `closed`: `concurrency` clients, each placing one order after another for `seconds` (after
  `warmup` seconds not counted): orders/s, latency. The fallback for wrk.
- `open`: orders started at a fixed `rate` for `seconds`, whether or not earlier ones have been
  answered (open loop). Latency counts from when each order was due, not from when the client
  got round to sending it, so a client that falls behind does not hide the wait (coordinated
  omission). At most `max_in_flight` at once; past that an order is counted as refused by the
  client and not sent.
- `e2e`: open loop as above, and at the same time a queue of our own bound to `order.allocated`
  on the sandbox's bus: for every order, when it was due, when its POST was answered and when
  its order.allocated arrived. After the load it waits up to `drain_seconds` for the last
  allocations. The times are `time.monotonic()`, the system-wide CLOCK_MONOTONIC, so the suite
  can set them beside the WhatsApp stub's (another process).

Every order is a `POST /v1/orders` with the spec's `token` and its own Idempotency-Key; every
answer must be 201 (anything else is counted and its first few kept).
"""

import argparse
import asyncio
import itertools
import json
import time
import uuid
from pathlib import Path

import aio_pika
import aiohttp

from bench.measure import latency_summary
from shared.events import events_in

EXCHANGE = "plut.events"


class Orders:
    """Makes each request: the body (a new buyer phone number per order when `vary_phone`), the
    headers with a new Idempotency-Key; and keeps count of what came back."""

    def __init__(self, spec: dict) -> None:
        self.url = spec["url"]
        self.token = spec.get("token")
        self.body = spec["body"]
        self.vary_phone = spec.get("vary_phone", False)
        self.nonce = uuid.uuid4().hex[:12]
        self.counter = itertools.count(1)
        self.errors: dict[str, int] = {}
        self.error_samples: list[str] = []

    def request(self) -> tuple[dict, bytes]:
        number = next(self.counter)
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": f"{self.nonce}-{number}",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = self.body
        if self.vary_phone:
            body = {**body, "buyer": {**body["buyer"], "phone": f"+62812{number % 10**8:08d}"}}
        return headers, json.dumps(body).encode()

    async def place(self, session: aiohttp.ClientSession) -> str | None:
        """POST one order; its id when it was answered 201, else None (counted)."""
        headers, body = self.request()
        try:
            async with session.post(self.url, data=body, headers=headers) as response:
                text = await response.read()
                if response.status == 201:
                    return json.loads(text)["id"]
                self._error(str(response.status), text[:300].decode(errors="replace"))
        except (aiohttp.ClientError, TimeoutError) as error:
            self._error(type(error).__name__, repr(error))
        return None

    def _error(self, kind: str, sample: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.error_samples) < 5:
            self.error_samples.append(f"{kind}: {sample}")


def session_for(connections: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections, force_close=False),
        timeout=aiohttp.ClientTimeout(total=60),
    )


async def closed(spec: dict) -> dict:
    orders = Orders(spec)
    latencies: list[float] = []
    counting = False
    sent = 0  # warm-up included: every request the server may have stored an order for

    async def client(session: aiohttp.ClientSession, deadline: float) -> None:
        nonlocal sent
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            sent += 1
            placed = await orders.place(session)
            if counting and placed is not None:
                latencies.append(time.perf_counter() - started)

    concurrency = spec["concurrency"]
    async with session_for(concurrency) as session:
        warm = time.perf_counter() + spec.get("warmup", 1.0)
        await asyncio.gather(*(client(session, warm) for _ in range(concurrency)))
        counting = True
        started = time.perf_counter()
        deadline = started + spec["seconds"]
        await asyncio.gather(*(client(session, deadline) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return {
        "mode": "closed",
        "concurrency": concurrency,
        "orders": len(latencies),
        "requests": sent,
        "seconds": round(seconds, 3),
        "per_second": round(len(latencies) / seconds, 1),
        **latency_summary(latencies),
        "errors": orders.errors,
        "error_samples": orders.error_samples,
    }


async def open_loop(spec: dict) -> dict:
    """Start an order every 1/rate seconds for `seconds`; answers the figures and, per order
    answered, (id, due, answered)."""
    orders = Orders(spec)
    rate, seconds = spec["rate"], spec["seconds"]
    max_in_flight = spec.get("max_in_flight", 2000)
    total = int(rate * seconds)
    placed: list[tuple[str, float, float]] = []
    waits: list[float] = []
    in_flight = 0
    refused = 0
    behind: list[float] = []  # how late the client was in starting each order

    async def one(session: aiohttp.ClientSession, due: float) -> None:
        nonlocal in_flight
        try:
            order_id = await orders.place(session)
            answered = time.monotonic()
            if order_id is not None:
                placed.append((order_id, due, answered))
                waits.append(answered - due)
        finally:
            in_flight -= 1

    tasks: set[asyncio.Task] = set()
    async with session_for(spec.get("connections", 512)) as session:
        start = time.monotonic() + 0.1
        for number in range(total):
            due = start + number / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            behind.append(max(time.monotonic() - due, 0.0))
            if in_flight >= max_in_flight:
                refused += 1
                continue
            in_flight += 1
            task = asyncio.create_task(one(session, due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        sent_by = time.monotonic()
        if tasks:
            await asyncio.wait(set(tasks), timeout=spec.get("answer_timeout", 120))
        finished = time.monotonic()
    return {
        "figures": {
            "mode": "open",
            "rate": rate,
            "seconds": seconds,
            "offered": total,
            "answered": len(placed),
            "refused_by_client": refused,
            # Orders answered over the time from the first due to the last answer.
            "per_second": round(len(placed) / max(finished - start, 1e-9), 1),
            "sending_seconds": round(sent_by - start, 3),
            **latency_summary(waits),
            "client_behind_p99_ms": round((sorted(behind)[int(0.99 * (len(behind) - 1))]) * 1000, 2)
            if behind
            else None,
            "errors": orders.errors,
            "error_samples": orders.error_samples,
        },
        "placed": placed,
    }


async def open_only(spec: dict) -> dict:
    return (await open_loop(spec))["figures"]


async def end_to_end(spec: dict) -> dict:
    """Open loop, watching the bus for each order's order.allocated."""
    allocated: dict[str, float] = {}
    connection = await aio_pika.connect_robust(spec["amqp_url"])
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=1000)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(EXCHANGE, routing_key="order.allocated")

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            arrived = time.monotonic()
            for event in events_in(message.body, message.content_type):  # a batch per message
                allocated.setdefault(str(event.payload["order_id"]), arrived)

        await queue.consume(on_message, no_ack=True)
        outcome = await open_loop(spec)
        placed = outcome["placed"]
        deadline = time.monotonic() + spec.get("drain_seconds", 30)
        wanted = {order_id for order_id, _, _ in placed}
        while time.monotonic() < deadline and not wanted.issubset(allocated):
            await asyncio.sleep(0.05)
        drained = time.monotonic()
    finally:
        await connection.close()
    last_answer = max((answered for _, _, answered in placed), default=drained)
    return {
        **outcome["figures"],
        "mode": "e2e",
        "allocated": sum(1 for order_id in wanted if order_id in allocated),
        "seconds_after_last_answer": round(drained - last_answer, 3),
        # [order id, due, answered, allocated or None], monotonic seconds
        "orders": [[i, d, a, allocated.get(i)] for i, d, a in placed],
    }


MODES = {"closed": closed, "open": open_only, "e2e": end_to_end}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", required=True, help="JSON: mode, url, token, body, ...")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    spec = json.loads(args.spec)
    result = asyncio.run(MODES[spec["mode"]](spec))
    args.output.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
