"""Cancelling from an order's page: the code goes to the phone the order was placed with, so
knowing an order's code is enough to follow it, never to cancel it. Only orders placed here:
for the counter's and partners' the site knows no phone it checked, and its key may not cancel
them; their page says whom to ask."""

import uuid

from aiohttp import web

from services.storefront.actions import NOT_CANCELLED
from services.storefront.pages.common import code_sent
from services.storefront.pages.tracking import CANCEL_ELSEWHERE, CANCELLABLE, known_order
from services.storefront.store import tracking
from services.storefront.views import PageError
from shared.order_codes import order_code_from
from shared.problems import Text
from shared.web import DATABASE

routes = web.RouteTableDef()

TOO_LATE = Text(
    "Pesanan yang sudah diserahkan, kedaluwarsa atau dibatalkan tidak bisa dibatalkan lagi.",
    "An order handed over, expired or cancelled cannot be cancelled again.",
)


@routes.post("/lacak/{code}/batal")
async def ask_to_cancel(request: web.Request) -> web.Response:
    order = await known_order(request, fresh=True)
    if order["status"] not in CANCELLABLE or not order["buyer"].get("phone"):
        raise PageError(409, NOT_CANCELLED, TOO_LATE)
    if not await tracking.placed_here(request.app[DATABASE], uuid.UUID(order["id"])):
        raise PageError(409, NOT_CANCELLED, CANCEL_ELSEWHERE)
    buyer, hub = order["buyer"], order["hub"]
    code = order_code_from(order["code"])
    intent = {"hub": hub, "buyer": {"name": buyer["name"]}, "order_id": order["id"], "code": code}
    return await code_sent(
        request, purpose="cancel", phone=buyer["phone"], name=buyer["name"], hub=hub, intent=intent
    )
