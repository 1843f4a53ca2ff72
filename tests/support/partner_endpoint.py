"""A partner's callback endpoint for the tests: records every POST as it came, and answers as
the test says (fail until told otherwise, hang, or accept)."""

import asyncio
import json
import time
from dataclasses import dataclass, field

from aiohttp import web

from examples.partner_client import verify
from tests.support.stack import serve_locally
from tests.support.stack_env import PARTNER_HOST, PARTNERS_BUYER_TYPES
from tools.client import HubClient


@dataclass(frozen=True)
class Arrival:
    body: bytes
    signature: str | None
    at: float  # time.monotonic()
    answered: int  # the status this endpoint gave

    @property
    def callback(self) -> dict:
        return json.loads(self.body)


@dataclass
class PartnerEndpoint:
    secret: str = ""  # the partner's callback_secret, once the hub has given it out
    failing: bool = False  # answer 503 while true
    hanging: bool = False  # never answer: the hub's timeout must give up
    answer_after: float = 0.0  # seconds each answer takes
    arrivals: list[Arrival] = field(default_factory=list)
    posts: int = 0  # every POST that came, answered or not (a hanging one is never)
    in_flight: int = 0
    most_in_flight: int = 0
    _runner: web.AppRunner | None = None
    _port: int = 0

    @property
    def url(self) -> str:
        return f"http://{PARTNER_HOST}:{self._port}/plut/callbacks"

    async def start(self) -> "PartnerEndpoint":
        app = web.Application()
        app.router.add_post("/plut/callbacks", self._receive)
        self._runner, self._port = await serve_locally(app, PARTNER_HOST)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        self.posts += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            body = await request.read()
            await asyncio.sleep(3600 if self.hanging else self.answer_after)
            status = 503 if self.failing else 204
            signature = request.headers.get("Plut-Signature")
            self.arrivals.append(Arrival(body, signature, time.monotonic(), status))
            return web.Response(status=status)
        finally:
            self.in_flight -= 1

    def accepted(self, order_id: str | None = None) -> list[dict]:
        """The callbacks this endpoint took (answered 2xx), each checked against the secret."""
        taken = []
        for arrival in self.arrivals:
            if arrival.answered < 300:
                verify(self.secret, arrival.signature, arrival.body)
                if order_id is None or arrival.callback["order"]["id"] == order_id:
                    taken.append(arrival.callback)
        return taken

    async def wait_for(self, count: int, order_id: str | None = None, timeout: float = 120.0):
        """Wait until `count` callbacks (of one order, if given) were taken; answer them.
        `timeout` only guards against a callback that will never come."""
        deadline = time.monotonic() + timeout
        while len(self.accepted(order_id)) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{len(self.accepted(order_id))} of {count} callbacks after {timeout}s"
                )
            await asyncio.sleep(0.05)
        return self.accepted(order_id)


@dataclass(frozen=True)
class CallbackPartner:
    """A partner as the hub created it, with the endpoint its callbacks come to."""

    id: str
    client: HubClient  # calls the orders API with the partner's key
    endpoint: PartnerEndpoint


async def callback_partner(operator: HubClient, hub: str) -> CallbackPartner:
    """A new partner of `hub` with an endpoint of its own (stop the endpoint after use)."""
    endpoint = await PartnerEndpoint().start()
    issued = await operator.create_partner(
        f"Mitra {hub}", [hub], callback_url=endpoint.url, buyer_types=PARTNERS_BUYER_TYPES
    )
    endpoint.secret = issued["callback_secret"]
    return CallbackPartner(
        issued["partner"]["id"], operator.as_partner(issued["api_key"]), endpoint
    )
