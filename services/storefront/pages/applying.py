"""The application form, once the applicant proved their phone (pages/programmes.py): name,
NIK, type and regency as the programme allows, how many; a page to check the answers; then the
application goes to the orders service with the site's key (scope `programmes:apply`).

The answers travel only in the pages' own fields: the NIK is passed on, never kept here nor
logged. A refusal by the orders service (a NIK of no citizen's form, one that applied already,
a region or type the programme does not cover) is shown beside its field, what was typed kept;
each counts against the check, so one code cannot try NIK after NIK.
"""

from datetime import timedelta

import asyncpg
from aiohttp import web

from services.storefront import applications
from services.storefront.backends import BACKENDS
from services.storefront.guards import BAD_FORM, form_of
from services.storefront.pages.common import (
    CHECK_RULES,
    PROGRAMME_READS,
    asker,
    check_id_in,
    honeypot_filled,
    proved,
)
from services.storefront.store import phone_checks, tracking
from services.storefront.views import PageError, language, render
from shared import order_codes
from shared import programme_form as forms
from shared.formats import mask_phone
from shared.order_form import BUYER_TYPE_NAMES
from shared.problems import Text
from shared.web import DATABASE

routes = web.RouteTableDef()
FORM = "/daftar-program/{check_id}"
# How long a proved phone keeps the form open in the browser that proved it.
FORM_OPEN = timedelta(minutes=30)
TOO_MANY_REFUSED = PageError(
    403,
    Text("Terlalu banyak pendaftaran yang ditolak", "Too many applications refused"),
    Text(
        "Demi keamanan, mulai lagi dari halaman program dengan kode baru.",
        "For your safety, start again from the programme's page with a new code.",
    ),
)


def _open(check: asyncpg.Record | None, tries: int) -> asyncpg.Record:
    check = proved(check, "programme", FORM_OPEN)
    if check["refusals"] >= tries:
        raise TOO_MANY_REFUSED
    return check


async def _check_and_programme(request: web.Request) -> tuple[asyncpg.Record, dict]:
    """The proved check of this browser, and its programme, still open; a check that applied
    already goes to its application's page."""
    db = request.app[DATABASE]
    check = await phone_checks.one(db, check_id_in(request), asker(request).browser)
    check = _open(check, request.app[CHECK_RULES].tries)
    code = await tracking.code_of_check(db, check["id"])
    if code is not None:
        raise web.HTTPSeeOther(f"/lacak/{order_codes.shown(code)}")
    return check, await _programme(request, check)


async def _programme(request: web.Request, check: asyncpg.Record) -> dict:
    programme = await request.app[PROGRAMME_READS].one(check["intent"]["programme_id"])
    if programme is None or programme.get("status") != "open":
        raise applications.CLOSED
    return programme


def form_page(request, check, programme, checked: forms.Checked, status: int = 200):
    types = forms.buyer_types_of(programme)
    context = {
        "check_id": check["id"],
        "phone": mask_phone(check["phone"]),
        "programme": programme,
        "types": {kind: BUYER_TYPE_NAMES[kind] for kind in types},
        "typed": checked.typed,
        "errors": checked.errors,
    }
    return render(request, "application_form.html", context, status=status)


@routes.get(FORM)
async def application_form(request: web.Request) -> web.Response:
    check, programme = await _check_and_programme(request)
    typed = dict.fromkeys(forms.FIELDS, "") | {"language": language(request), "quantity": "1"}
    return form_page(request, check, programme, forms.Checked(typed, {}, None))


@routes.post(FORM)
async def answers_to_check(request: web.Request) -> web.Response:
    check, programme = await _check_and_programme(request)
    checked = forms.check(forms.typed_in(await form_of(request)), programme, check["phone"])
    if checked.errors:
        return form_page(request, check, programme, checked, status=400)
    context = {
        "check_id": check["id"],
        "phone": mask_phone(check["phone"]),
        "programme": programme,
        "typed": checked.typed,
        "application": checked.application,
        "type_name": BUYER_TYPE_NAMES[checked.application["recipient"]["type"]],
    }
    return render(request, "check_application.html", context)


@routes.post(FORM + "/ubah")
async def change_answers(request: web.Request) -> web.Response:
    check, programme = await _check_and_programme(request)
    typed = forms.typed_in(await form_of(request))
    return form_page(request, check, programme, forms.Checked(typed, {}, None))


@routes.post(FORM + "/kirim")
async def apply(request: web.Request) -> web.Response:
    """The application, once: the check's row is locked while the orders service answers, so a
    double submit waits, then finds it made."""
    check, programme = await _check_and_programme(request)
    form = await form_of(request)
    if honeypot_filled(form):
        raise BAD_FORM
    checked = forms.check(forms.typed_in(form), programme, check["phone"])
    if checked.errors:
        return form_page(request, check, programme, checked, status=400)
    rules, browser = request.app[CHECK_RULES], asker(request).browser
    async with request.app[DATABASE].acquire() as conn, conn.transaction():
        check = _open(await phone_checks.locked(conn, check["id"], browser), rules.tries)
        answer = await applications.apply(
            conn,
            request.app[BACKENDS],
            check,
            programme,
            checked.application,
            language(request),
        )
    if isinstance(answer, str):
        raise web.HTTPSeeOther(answer)
    return form_page(request, check, programme, forms.Checked(checked.typed, answer, None), 400)
