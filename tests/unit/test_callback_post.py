"""One callback attempt against a stand-in partner: the body and signature it sends, and what it
makes of the answers."""

import ipaddress
import json
import uuid
from datetime import UTC, datetime

from aiohttp import web
from aiohttp.test_utils import TestServer

from examples.partner_client import verify
from services.orders.callbacks.destination import Destinations, callback_session
from services.orders.callbacks.post import COULD_NOT_CONNECT, Outcome, post_callback
from tests.support.stack import free_port

# The stand-ins here listen on plain http on loopback: allowed for these tests only.
LOCAL = Destinations(
    allow_http=True, unsafe_private_networks=(ipaddress.ip_network("127.0.0.0/8"),)
)

SECRET = "whsec_test"
CHANGED_AT = datetime(2026, 11, 28, 1, 2, 9, tzinfo=UTC)


def claimed(url: str | None) -> dict:
    """A row as callbacks.CLAIM returns it."""
    order_id = uuid.uuid4()
    return {
        "id": uuid.uuid4(),
        "partner_id": uuid.uuid4(),
        "previous_status": "queued",
        "created_at": CHANGED_AT,
        "attempts": 1,
        "order_snapshot": {
            "id": str(order_id),
            "hub": "kalteng",
            "sku": "masker-kain",
            "quantity": 10,
            "status": "allocated",
            "allocated": 10,
            "fulfilled": 0,
            "expired": 0,
            "waiting": 0,
            "hold_until": "2026-11-30T01:02:09+00:00",
            "accept_partial": True,
            "priority_class": "public",
            "buyer_reference": None,
            "placed_at": "2026-11-28T00:00:00+00:00",
            "fulfilled_at": None,
            "cancelled_at": None,
        },
        "callback_url": url,
        "callback_secret": SECRET,
    }


async def test_the_post_is_signed_json_and_a_2xx_delivers_it():
    received = []

    async def partner(request: web.Request) -> web.Response:
        received.append((await request.read(), request.headers))
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/hook", partner)
    row = claimed(None)
    async with TestServer(app) as server, callback_session(LOCAL) as session:
        row["callback_url"] = str(server.make_url("/hook"))
        outcome = await post_callback(session, row, LOCAL)

    assert outcome == Outcome(202, None)
    [(body, headers)] = received
    verify(SECRET, headers["Plut-Signature"], body)
    assert headers["Content-Type"] == "application/json"
    sent = json.loads(body)
    assert (sent["id"], sent["type"]) == (str(row["id"]), "order.status_changed")
    assert (sent["created_at"], sent["previous_status"]) == ("2026-11-28T01:02:09Z", "queued")
    assert sent["order"]["hold_until"] == "2026-11-30T01:02:09Z"
    assert sent["order"]["status"] == "allocated" and sent["order"]["waiting"] == 0


async def test_a_redirect_or_an_error_is_a_failed_attempt_and_is_not_followed():
    followed = []

    async def moved(_request: web.Request) -> web.Response:
        raise web.HTTPFound("/elsewhere")

    async def elsewhere(_request: web.Request) -> web.Response:
        followed.append(True)
        return web.Response(status=204)

    async def broken(_request: web.Request) -> web.Response:
        return web.Response(status=500)

    app = web.Application()
    app.router.add_post("/hook", moved)
    app.router.add_post("/elsewhere", elsewhere)
    app.router.add_post("/broken", broken)
    async with TestServer(app) as server, callback_session(LOCAL) as session:
        redirected = await post_callback(session, claimed(str(server.make_url("/hook"))), LOCAL)
        failed = await post_callback(session, claimed(str(server.make_url("/broken"))), LOCAL)

    assert redirected == Outcome(302, "delivery failed (status 302)")
    assert failed == Outcome(500, "delivery failed (status 500)")
    assert followed == []


async def test_no_answer_says_only_that_it_could_not_connect_without_the_url():
    url = f"http://127.0.0.1:{free_port()}/hook?token=partners-own-secret"
    async with callback_session(LOCAL) as session:
        refused = await post_callback(session, claimed(url), LOCAL)
        without_url = await post_callback(session, claimed(None), LOCAL)

    assert refused == Outcome(None, COULD_NOT_CONNECT)
    assert without_url == Outcome(None, "partner has no callback_url")
