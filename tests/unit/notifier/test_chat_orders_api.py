"""The chat's orders client (`conversations.orders_api.OrdersHttp`) against a stand-in orders
service: a cancel asserts the number that wrote as the verified phone, and a key made before
`orders:cancel-verified` still cancels its own orders."""

import uuid

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from services.notifier.conversations.orders_api import OrdersHttp

PHONE = "+6281234567890"
HEADERS = ("Verified-Phone", "Idempotency-Key")
MISSING_SCOPE = {"type": "/problems/missing-scope", "title": "Key lacks the scope", "status": 403}


async def cancels_seen(scopes: set[str]) -> list[dict]:
    seen: list[dict] = []

    async def cancel(request: web.Request) -> web.Response:
        headers = {name: request.headers.get(name) for name in HEADERS}
        seen.append(headers)
        if headers["Verified-Phone"] and "orders:cancel-verified" not in scopes:
            return web.json_response(MISSING_SCOPE, status=403)
        return web.json_response({"id": request.match_info["id"], "status": "cancelled"})

    app = web.Application()
    app.router.add_post("/v1/orders/{id}/cancel", cancel)
    async with TestServer(app) as server, aiohttp.ClientSession() as session:
        orders = OrdersHttp(session, str(server.make_url("")), "plut_k_s", "http://unused")
        answer = await orders.cancel(uuid.uuid4(), "notifier-chat-cancel:w1", "id", PHONE)
    assert answer["status"] == "cancelled"
    return seen


async def test_a_cancel_asserts_the_number_that_wrote():
    seen = await cancels_seen({"orders:write", "orders:cancel-verified"})

    assert seen == [{"Verified-Phone": PHONE, "Idempotency-Key": "notifier-chat-cancel:w1"}]


async def test_a_key_without_the_scope_still_cancels_its_own_orders():
    seen = await cancels_seen({"orders:write"})

    assert [s["Verified-Phone"] for s in seen] == [PHONE, None]
    assert {s["Idempotency-Key"] for s in seen} == {"notifier-chat-cancel:w1"}
