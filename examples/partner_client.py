"""A partner's side of the PLUT pre-order hub: place orders safely, receive signed callbacks.

Standalone on purpose (only aiohttp): copy it into your own system. See examples/README.md.

    python examples/partner_client.py --api-key KEY --callback-secret SECRET \\
        --hub kalteng --sku masker-kain --quantity 10 --listen 127.0.0.1:9000

Placing: each order gets one Idempotency-Key, kept across retries, so a POST whose answer was
lost (a timeout, a dropped connection, a 5xx or 429) can be sent again without ordering twice.

Receiving: every callback is checked with `verify` before it is believed, and remembered by its
`id`, since the hub delivers at least once and may send one again.
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web

SIGNATURE_HEADER = "Plut-Signature"
# A signed timestamp further than this from our clock is refused: a captured callback cannot be
# replayed later, and our clock may be a little off.
TOLERANCE_SECONDS = 300
# Answers that say nothing was decided yet: the same request may be sent again.
RETRIED_STATUSES = {429, 500, 502, 503, 504}
IN_FLIGHT = "/problems/idempotency-key-in-flight"  # a 409: our first try is still being answered


class SignatureRejected(Exception):
    """The callback cannot be believed; `status` is what to answer (400 or 401)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def verify(
    secret: str,
    header: str | None,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: float = TOLERANCE_SECONDS,
) -> None:
    """Check `Plut-Signature: t=<unix seconds>,v1=<hex>` over the raw body, as received.

    Recompute HMAC-SHA256(secret, f"{t}." + body), compare in constant time with every v1
    given, then refuse a timestamp older (or newer) than the tolerance.
    """
    if not header:
        raise SignatureRejected(400, f"missing {SIGNATURE_HEADER}")
    pairs = [item.strip().partition("=") for item in header.split(",")]
    stamps = [value for name, _, value in pairs if name == "t"]
    given = [value for name, _, value in pairs if name == "v1"]
    if len(stamps) != 1 or not stamps[0].isdigit() or not given:
        raise SignatureRejected(400, f"malformed {SIGNATURE_HEADER}")
    timestamp = int(stamps[0])
    signed = stamps[0].encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected.encode(), value.encode()) for value in given):
        raise SignatureRejected(401, "signature does not match")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureRejected(401, "timestamp outside the tolerance")


def callback_app(
    secret: str, on_callback: Callable[[dict], Awaitable[None]], path: str = "/plut/callbacks"
) -> web.Application:
    """An app that answers the hub's callbacks: 204 once verified and handled, 400/401 if not."""
    seen: set[str] = set()  # kept in memory here; a real system keeps it with its orders

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()  # the raw bytes: parsing first would change what was signed
        try:
            verify(secret, request.headers.get(SIGNATURE_HEADER), body)
        except SignatureRejected as rejected:
            return web.json_response({"error": rejected.reason}, status=rejected.status)
        callback = json.loads(body)
        if callback["id"] not in seen:
            await on_callback(callback)
            seen.add(callback["id"])
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post(path, receive)
    return app


class OrderRefused(Exception):
    """The hub decided: not this order (`problem` is its problem+json, naming what is wrong)."""

    def __init__(self, status: int, problem: str) -> None:
        super().__init__(f"order refused ({status}): {problem}")
        self.status = status
        self.problem = problem


async def place_order(
    session: aiohttp.ClientSession,
    orders_url: str,
    api_key: str,
    order: dict,
    *,
    idempotency_key: str | None = None,
    attempts: int = 5,
) -> dict:
    """POST /v1/orders, retried with the same Idempotency-Key until the hub answers for sure."""
    key = idempotency_key or str(uuid.uuid4())
    headers = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": key}
    for attempt in range(1, attempts + 1):
        wait = float(2**attempt)
        try:
            async with session.post(
                f"{orders_url}/v1/orders", json=order, headers=headers
            ) as response:
                body = await response.text()
                if not _worth_retrying(response.status, body):
                    if response.status >= 400:
                        raise OrderRefused(response.status, body)
                    return json.loads(body)
                wait = _seconds(response.headers.get("Retry-After"), wait)
        except (aiohttp.ClientConnectionError, TimeoutError):
            pass  # the order may or may not be placed: the same key makes asking again safe
        if attempt < attempts:
            await asyncio.sleep(wait)
    raise RuntimeError(f"no answer after {attempts} attempts; retry later with key {key}")


def _worth_retrying(status: int, body: str) -> bool:
    return status in RETRIED_STATUSES or (status == 409 and IN_FLIGHT in body)


def _seconds(retry_after: str | None, otherwise: float) -> float:
    """Retry-After in seconds; its other form (an HTTP date) is left to our own backoff."""
    try:
        return float(retry_after) if retry_after is not None else otherwise
    except ValueError:
        return otherwise


async def print_callback(callback: dict) -> None:
    order = callback["order"]
    print(f"callback {callback['id']}: order {order['id']} is now {order['status']}")


async def listening(secret: str, listen: str) -> web.AppRunner:
    """The callback receiver, serving at `listen` (host:port) until its runner is cleaned up."""
    host, _, port = listen.rpartition(":")
    runner = web.AppRunner(callback_app(secret, print_callback))
    await runner.setup()
    await web.TCPSite(runner, host, int(port)).start()
    print(f"listening for callbacks on http://{listen}/plut/callbacks")
    return runner


async def main() -> None:
    arguments = argument_parser().parse_args()
    runner = await listening(arguments.callback_secret, arguments.listen)
    order = {
        "hub": arguments.hub,
        "sku": arguments.sku,
        "quantity": arguments.quantity,
        "buyer": {"name": arguments.buyer, "type": "business", "region": arguments.region},
    }
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            placed = await place_order(session, arguments.orders_url, arguments.api_key, order)
        print(f"placed order {placed['id']}: {placed['status']}; Ctrl-C to stop")
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def argument_parser(about: str = __doc__) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=about.split("\n")[0])
    parser.add_argument("--orders-url", default="http://127.0.0.1:8082")
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--callback-secret", required=True)
    parser.add_argument("--listen", default="127.0.0.1:9000", help="host:port for callbacks")
    parser.add_argument("--hub", required=True)
    parser.add_argument("--sku", default="masker-kain")
    parser.add_argument("--quantity", type=int, default=10)
    parser.add_argument("--buyer", default="Koperasi Contoh")
    parser.add_argument("--region", default="Palangka Raya")
    return parser


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
