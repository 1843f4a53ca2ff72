"""Hand-over by code at the counter (`/loket/serah-terima`): the buyer's order code typed, read
out, or scanned from their QR (a USB scanner types the tracking link, then Enter) finds the
order; staff see what is held for it and until when, hand it over (the orders service's fulfil),
and print a pick-up slip that names who handed it over. A viewer may look, not hand over.

The box keeps the focus on every page: a scanner types wherever the focus is, and its Enter on a
focused "Serahkan" button would hand over the order on screen, not the one scanned.

The hidden nonce (counter_nonces.py) becomes the fulfil's `Idempotency-Key`: a double submit
hands over once, and both submits land on the one slip. How many units went is read from the
order's history (the `fulfilled` entry the fulfil wrote), not worked out from two reads.
"""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from services.console import handover_input
from services.console.accounts import Role
from services.console.backends import UUID, BackendError, backends_of
from services.console.counter_nonces import new_nonce
from services.console.pages.counter_orders import keyed_form
from services.console.redirects import see_other
from services.console.sessions import CSRF, OPERATOR, allowed
from services.console.views import hub_of, language, render
from shared.formats import mask_phone
from shared.order_codes import shown
from shared.problems import Problem, Text
from shared.web import DATABASE

routes = web.RouteTableDef()
PAGE = "/loket/serah-terima"
SLIP = PAGE + "/slip"
# A hand-over form is a nonce and a token: anything near this size is none.
MAX_FORM_BYTES = 4 * 1024

# A double submit's second request finds the first one's key still held for a moment.
KEY_IN_FLIGHT = "/problems/idempotency-key-in-flight"
IN_FLIGHT_TRIES = 6
FIRST_PAUSE = 0.05

RECORD = """
INSERT INTO handovers (id, order_id, operator_id, units, handed_at, request_key)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (request_key) DO NOTHING
"""
RECORDED = "SELECT id FROM handovers WHERE request_key = $1"
HANDOVER = """
SELECT h.order_id, h.units, h.handed_at, o.name AS operator
FROM handovers h JOIN operators o ON o.id = h.operator_id
WHERE h.id = $1
"""

UNKNOWN = Text("Tidak ada pesanan dengan kode {code}", "No order has the code {code}")
NOT_RECORDED = Problem(
    502,
    "handover-not-read",
    Text(
        "Pesanan sudah diserahkan, tetapi jumlah unitnya belum terbaca; buka halaman pesanan",
        "The order was handed over, but its units could not be read; open the order's page",
    ),
)


def held(order: dict[str, Any]) -> int:
    """Units given to the order and not yet handed over: what waits at the counter."""
    return max(order["allocated"] - order["fulfilled"], 0)


def overdue(order: dict[str, Any], now: datetime) -> bool:
    """Held past its collect-by time: the allocator is about to take the units back (it may
    not have yet; the orders service still hands them over until it has)."""
    until = order["hold_until"]
    return held(order) > 0 and until is not None and datetime.fromisoformat(until) < now


def why_not(order: dict[str, Any], hub: str) -> str | None:
    """Why nothing can be handed over here (a word the page explains), or None."""
    if order["cancelled_at"] is not None:
        return "cancelled"
    if order["hub"] != hub:
        return "other_hub"
    if held(order) > 0:
        return None
    if order["fulfilled"] > 0 and order["waiting"] == 0:
        return "fulfilled"
    return "expired" if order["status"] == "expired" else "waiting"


async def _by_code(request: web.Request, code: str) -> dict[str, Any] | None:
    try:
        return await backends_of(request).get(
            "orders", ("v1", "order-codes", shown(code)), language=language(request)
        )
    except BackendError as error:
        if error.status in (404, 422):
            return None
        raise


async def _product_name(request: web.Request, order: dict[str, Any]) -> str:
    catalog = await backends_of(request).get(
        "orders", ("v1", "hubs", order["hub"], "products"), language=language(request)
    )
    names = {p["sku"]: p["name"] for p in catalog["products"]}
    return names.get(order["sku"], order["sku"])


async def _page(
    request: web.Request,
    *,
    order: dict[str, Any] | None = None,
    refused: str = "",
    problem: dict[str, Any] | None = None,
    status: int = 200,
) -> web.Response:
    context: dict[str, Any] = {"order": order, "refused": refused, "problem": problem, "errors": {}}
    if order is not None:
        operator = request[OPERATOR]
        context |= {
            "held": held(order),
            "why_not": why_not(order, hub_of(request)),
            "overdue": overdue(order, datetime.now(UTC)),
            "product": await _product_name(request, order),
            "phone": mask_phone(order["buyer"].get("phone")),
            "nonce": new_nonce(request[CSRF], operator.id) if operator.may(Role.staff) else "",
        }
    return render(request, "handover.html", context, status=status)


@routes.get(PAGE)
async def handover_page(request: web.Request) -> web.Response:
    if "kode" not in request.query:
        return await _page(request)
    reading = handover_input.read(request.query["kode"])
    lang = language(request)
    if reading.code is None:
        assert reading.refused is not None
        return await _page(request, refused=reading.refused.in_language(lang), status=400)
    order = await _by_code(request, reading.code)
    if order is None:
        unknown = UNKNOWN.in_language(lang).format(code=reading.shown)
        return await _page(request, refused=unknown, status=404)
    return await _page(request, order=order)


async def _fulfil(request: web.Request, order_id: str, key: str) -> dict[str, Any]:
    """The orders service's fulfil under `key`: the order after it (the first answer again, for
    a key used before)."""
    pause = FIRST_PAUSE
    for attempt in range(IN_FLIGHT_TRIES):
        try:
            return await backends_of(request).post(
                "orders",
                ("v1", "orders", order_id, "fulfil"),
                language=language(request),
                headers={"Idempotency-Key": key},
            )
        except BackendError as error:
            if error.problem.get("type") != KEY_IN_FLIGHT or attempt == IN_FLIGHT_TRIES - 1:
                raise
        await asyncio.sleep(pause)
        pause *= 2
    raise AssertionError("unreachable")


async def _units_handed(request: web.Request, order: dict[str, Any]) -> int | None:
    """How many units the fulfil that left `order` as it is handed over: its history entry."""
    history = await backends_of(request).get(
        "orders", ("v1", "orders", order["id"], "history"), language=language(request)
    )
    handed = [
        event["units"]
        for event in history["events"]
        if event["kind"] == "fulfilled"
        and (event.get("detail") or {}).get("fulfilled_total") == order["fulfilled"]
    ]
    return handed[-1] if handed else None


@routes.post(PAGE + "/{order_id:" + UUID + "}")
@allowed(Role.staff)
async def hand_over(request: web.Request) -> web.Response:
    _, key = await keyed_form(request, MAX_FORM_BYTES)
    operator = request[OPERATOR]
    order_id = request.match_info["order_id"]
    try:
        order = await _fulfil(request, order_id, key)
    except BackendError as error:
        if error.status >= 500 or error.status == 404:
            raise
        # Nothing went (cancelled meanwhile, nothing held): the order as it now stands, and why.
        now = await backends_of(request).get(
            "orders", ("v1", "orders", order_id), language=language(request)
        )
        return await _page(request, order=now, problem=error.problem, status=error.status)
    database = request.app[DATABASE]
    if await database.fetchval(RECORDED, key) is None:
        units = await _units_handed(request, order)
        if not units:
            raise NOT_RECORDED
        handed_at = datetime.fromisoformat(order["fulfilled_at"])
        record = (uuid.uuid4(), uuid.UUID(order_id), operator.id, units, handed_at)
        await database.execute(RECORD, *record, key)
    raise see_other(f"{SLIP}/{await database.fetchval(RECORDED, key)}")


@routes.get(SLIP + "/{id:" + UUID + "}")
async def slip(request: web.Request) -> web.Response:
    row = await request.app[DATABASE].fetchrow(HANDOVER, uuid.UUID(request.match_info["id"]))
    if row is None:
        raise web.HTTPNotFound()
    order = await backends_of(request).get(
        "orders", ("v1", "orders", str(row["order_id"])), language=language(request)
    )
    context = {
        "handover": dict(row),
        "order": order,
        "product": await _product_name(request, order),
    }
    return render(request, "handover_slip.html", context)
