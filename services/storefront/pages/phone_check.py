"""The code page: the buyer types the code sent to their phone. The right one does what the
check was for (`actions`), while the check's row is locked; wrong ones count, and the fifth
locks the check. A new code only after the wait, and within the hourly limits.
"""

import asyncpg
from aiohttp import web

from services.storefront import actions, checks
from services.storefront.backends import BACKENDS
from services.storefront.guards import NO_PAGE, form_of
from services.storefront.pages.common import (
    CHECK_RULES,
    FIGURES,
    asker,
    check_id_in,
    try_later,
)
from services.storefront.store import phone_checks
from services.storefront.views import language, render
from shared import order_codes
from shared.formats import mask_phone
from shared.problems import Text
from shared.web import DATABASE

routes = web.RouteTableDef()
CODE_PAGE = "/kode/{check_id}"

WRONG = Text("Kode salah. Sisa percobaan: {left}", "Wrong code. Tries left: {left}")
EMPTY = Text("Isi kode 6 angka dari pesan kami", "Enter the 6-digit code from our message")


async def _check(request: web.Request) -> asyncpg.Record:
    row = await phone_checks.one(
        request.app[DATABASE], check_id_in(request), asker(request).browser
    )
    if row is None:
        raise NO_PAGE
    return row


def _code_page(request, check, *, error: Text | None = None, status: int = 200, state: str = ""):
    context = {
        "check_id": check["id"],
        "phone": mask_phone(check["phone"]),
        "error": error,
        "errors": {"kode": error} if error else {},
        "purpose": check["purpose"],
        "cancels": order_codes.shown(check["intent"].get("code", "")) if check["intent"] else "",
        "state": state,
        "resent": request.query.get("dikirim") == "1",
    }
    return render(request, "code.html", context, status=status)


def _locked(request: web.Request, check: asyncpg.Record) -> bool:
    return check["verified_at"] is None and check["wrong_tries"] >= request.app[CHECK_RULES].tries


@routes.get(CODE_PAGE)
async def code_page(request: web.Request) -> web.Response:
    check = await _check(request)
    if _locked(request, check):  # opened again (back, reload): no form that takes no code
        return _code_page(request, check, status=403, state="locked")
    return _code_page(request, check)


@routes.post(CODE_PAGE)
async def code_given(request: web.Request) -> web.Response:
    check_id = check_id_in(request)
    given = str((await form_of(request)).get("kode", ""))[:20]
    rules = request.app[CHECK_RULES]
    async with request.app[DATABASE].acquire() as conn, conn.transaction():
        answered = await checks.answer(conn, rules, asker(request), check_id, given)
        if answered.answer == "right":
            target = await actions.act(
                conn, request.app[BACKENDS], request.app[FIGURES], answered.check, language(request)
            )
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
    return Text(WRONG.indonesian.format(left=left), WRONG.english.format(left=left))


@routes.post(CODE_PAGE + "/ulang")
async def code_again(request: web.Request) -> web.Response:
    check = await _check(request)
    if check["verified_at"] is not None:
        return _code_page(request, check)
    if _locked(request, check):  # start again
        return _code_page(request, check, status=403, state="locked")
    intent = check["intent"]
    async with request.app[DATABASE].acquire() as conn:
        try:
            await checks.resend(
                conn,
                request.app[BACKENDS],
                request.app[CHECK_RULES],
                asker(request),
                check,
                name=intent["buyer"]["name"],
                hub=intent["hub"],
            )
        except checks.TryLater as later:
            return try_later(request, later.at)
    raise web.HTTPSeeOther(f"/kode/{check['id']}?dikirim=1")
