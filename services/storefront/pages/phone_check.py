"""The code page: the buyer types the code sent to their phone. The right one places the order
(or opens "my orders"); wrong ones count, and the fifth locks the check. A new code only after
the wait, and within the hourly limits.

The order is placed while the check's row is locked, with an Idempotency-Key derived from the
check: a second submit of the right code waits, then finds the order the first one placed.
"""

import uuid

import asyncpg
from aiohttp import web

from services.storefront import checks, codes, store
from services.storefront.backends import BACKENDS, BackendError, Backends
from services.storefront.guards import NO_PAGE, form_of
from services.storefront.pages.common import CHECK_RULES, asker, check_id_in, try_later
from services.storefront.views import PageError, language, render
from shared.problems import Text
from shared.web import DATABASE

routes = web.RouteTableDef()
CODE_PAGE = "/kode/{check_id}"

WRONG = Text("Kode salah. Sisa percobaan: {left}", "Wrong code. Tries left: {left}")
REFUSED = Text("Pesanan tidak dapat dibuat", "The order could not be placed")
EMPTY = Text("Isi kode 6 angka dari pesan kami", "Enter the 6-digit code from our message")


async def _check(request: web.Request) -> asyncpg.Record:
    row = await request.app[DATABASE].fetchrow(
        store.CHECK_READ, check_id_in(request), asker(request).browser
    )
    if row is None:
        raise NO_PAGE
    return row


def _code_page(request, check, *, error: Text | None = None, status: int = 200, state: str = ""):
    context = {
        "check_id": check["id"],
        "phone": codes.masked(check["phone"]),
        "error": error,
        "errors": {"kode": error} if error else {},
        "state": state,
        "resent": request.query.get("dikirim") == "1",
    }
    return render(request, "code.html", context, status=status)


@routes.get(CODE_PAGE)
async def code_page(request: web.Request) -> web.Response:
    return _code_page(request, await _check(request))


@routes.post(CODE_PAGE)
async def code_given(request: web.Request) -> web.Response:
    check_id = check_id_in(request)
    given = str((await form_of(request)).get("kode", ""))[:20]
    rules = request.app[CHECK_RULES]
    async with request.app[DATABASE].acquire() as conn, conn.transaction():
        answered = await checks.answer(conn, rules, asker(request), check_id, given)
        if answered.answer == "right":
            target = await _after_right_code(request, conn, answered.check)
    if answered.answer == "right":  # redirected once the transaction is committed
        raise web.HTTPSeeOther(target)
    check = answered.check
    if answered.answer == "unknown":
        raise NO_PAGE
    if answered.answer == "wrong":
        error = EMPTY if not given.strip() else _wrong(answered.tries_left)
        return _code_page(request, check, error=error, status=400)
    return _code_page(request, check, status=403, state=answered.answer)


def _wrong(left: int) -> Text:
    return Text(WRONG.id.format(left=left), WRONG.en.format(left=left))


async def _after_right_code(
    request: web.Request, conn: asyncpg.Connection, check: asyncpg.Record
) -> str:
    """Where the buyer goes next: their orders, or the new order's tracking page."""
    if check["purpose"] == "my_orders":
        await conn.execute(store.VERIFIED, check["id"])
        return f"/pesanan-saya/{check['id']}"
    code = await conn.fetchval(store.TRACKING_OF_CHECK, check["id"])
    if code is None:
        code = await _place(conn, request.app[BACKENDS], check, language(request))
        await conn.execute(store.VERIFIED, check["id"])
    return f"/lacak/{codes.shown(code)}?baru=1"


async def _place(
    conn: asyncpg.Connection, backends: Backends, check: asyncpg.Record, language: str
) -> str:
    """The order as the buyer checked it, placed once; its tracking code. An order the orders
    service refuses (a buyer type this site may not declare, say) is a page saying why; the
    check stays unanswered."""
    try:
        order = await backends.post(
            "orders",
            "/v1/orders",
            body=check["order_form"],
            headers={"Idempotency-Key": f"storefront:{check['id']}", "Accept-Language": language},
        )
    except BackendError as error:
        if error.status in (401, 429) or error.status >= 500:
            raise
        why = str(error.problem.get("detail") or error.problem.get("title") or "")
        raise PageError(error.status, REFUSED, Text(why, why)) from None
    while True:  # 50 random bits: a clash is all but impossible, and then simply drawn again
        code = await conn.fetchval(
            store.TRACKING_INSERT,
            codes.new_order_code(),
            uuid.UUID(order["id"]),
            check["id"],
            check["phone_key"],
        )
        if code is not None:
            return code


@routes.post(CODE_PAGE + "/ulang")
async def code_again(request: web.Request) -> web.Response:
    check = await _check(request)
    if check["verified_at"] is not None:
        return _code_page(request, check)
    if check["wrong_tries"] >= request.app[CHECK_RULES].tries:  # locked: start again
        return _code_page(request, check, status=403, state="locked")
    form = check["order_form"]
    buyer = form["buyer"]
    async with request.app[DATABASE].acquire() as conn:
        try:
            await checks.resend(
                conn,
                request.app[BACKENDS],
                request.app[CHECK_RULES],
                asker(request),
                check,
                name=buyer["name"],
                hub=form["hub"],
            )
        except checks.TryLater as later:
            return try_later(request, later.at)
    raise web.HTTPSeeOther(f"/kode/{check['id']}?dikirim=1")
