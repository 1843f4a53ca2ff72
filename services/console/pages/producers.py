"""Producers: find, register and edit them; one producer's deliveries, sales, earnings and the
messages sent to them; and the raw-material shortages they report, summed so the office sees at
a glance who needs elastic or cloth."""

import asyncio
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from services.console.accounts import Role
from services.console.backends import UUID, BackendError, backends_of
from services.console.forms import as_number, errors_by_field
from services.console.redirects import see_other
from services.console.sessions import allowed
from services.console.views import hub_of, language, render

routes = web.RouteTableDef()

PAGE_SIZE = 50
MAX_SHORTAGES = 1000
PRODUCER_FIELDS = ("name", "phone", "regency", "email", "language", "channel")
# Left empty, these are not sent: the service's own default (or "none") applies.
OPTIONAL_FIELDS = ("email", "channel")
SHORTAGE_FIELDS = ("material", "amount", "unit", "since")
# Intake's list of units (it refuses others, naming them).
SHORTAGE_UNITS = ("kg", "m", "roll", "pcs", "yard")


def _offset(request: web.Request) -> int:
    given = request.query.get("mulai", "0")
    return int(given) if given.isdecimal() else 0


@routes.get("/produsen")
async def producers(request: web.Request) -> web.Response:
    backends, lang, hub = backends_of(request), language(request), hub_of(request)
    query = request.query.get("q", "").strip()
    offset = _offset(request)
    found, summary, shortages = await asyncio.gather(
        backends.get(
            "intake",
            ("v1", "producers"),
            language=lang,
            params={"hub": hub, "q": query, "limit": PAGE_SIZE, "offset": offset},
        ),
        backends.get("intake", ("v1", "shortages", "summary"), language=lang, params={"hub": hub}),
        backends.get(
            "intake",
            ("v1", "shortages"),
            language=lang,
            params={"hub": hub, "open": "true", "limit": MAX_SHORTAGES},
        ),
    )
    return render(
        request,
        "producers.html",
        {
            "query": query,
            "found": found,
            "offset": offset,
            "page_size": PAGE_SIZE,
            "summary": summary["by_material_and_regency"],
            "shortages": shortages["shortages"],
            "shortages_total": shortages["total"],
        },
    )


@routes.get("/produsen/baru")
@allowed(Role.staff)
async def new_producer_form(request: web.Request) -> web.Response:
    return _producer_form(request, None, {"language": "id"}, {})


@routes.post("/produsen/baru")
@allowed(Role.staff)
async def register_producer(request: web.Request) -> web.Response:
    form = await request.post()
    body = {"hub": hub_of(request), **_producer_body(form, for_edit=False)}
    try:
        made = await backends_of(request).post(
            "intake", ("v1", "producers"), language=language(request), json=body
        )
    except BackendError as error:
        if error.status != 422 and error.status != 409:
            raise
        return _producer_form(request, None, form, errors_by_field(error), error, status=422)
    raise see_other(f"/produsen/{made['id']}?tersimpan=baru")


@routes.get("/produsen/{id:" + UUID + "}/ubah")
@allowed(Role.staff)
async def edit_producer_form(request: web.Request) -> web.Response:
    producer = await _producer(request)
    return _producer_form(request, producer, producer, {})


@routes.post("/produsen/{id:" + UUID + "}/ubah")
@allowed(Role.staff)
async def edit_producer(request: web.Request) -> web.Response:
    producer_id = request.match_info["id"]
    form = await request.post()
    try:
        await backends_of(request).call(
            "intake",
            "PATCH",
            ("v1", "producers", producer_id),
            language=language(request),
            json=_producer_body(form, for_edit=True),
        )
    except BackendError as error:
        if error.status != 422 and error.status != 409:
            raise
        producer = await _producer(request)
        return _producer_form(request, producer, form, errors_by_field(error), error, status=422)
    raise see_other(f"/produsen/{producer_id}?tersimpan=ubah")


def _producer_body(form: MultiDictProxy, *, for_edit: bool) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for field in PRODUCER_FIELDS:
        value = str(form.get(field, "")).strip()
        if value or field not in OPTIONAL_FIELDS:
            body[field] = value
        elif for_edit:
            body[field] = None  # emptied on the form: cleared
    return body


def _producer_form(
    request: web.Request,
    producer: dict | None,
    values: Any,
    errors: dict[str, str],
    error: BackendError | None = None,
    status: int = 200,
) -> web.Response:
    shown = {field: values.get(field) or "" for field in PRODUCER_FIELDS}
    context = {"producer": producer, "values": shown, "errors": errors, "problem": error}
    return render(request, "producer_form.html", context, status=status)


async def _producer(request: web.Request) -> dict:
    producer_id = request.match_info["id"]
    return await backends_of(request).get(
        "intake", ("v1", "producers", producer_id), language=language(request)
    )


@routes.get("/produsen/{id:" + UUID + "}")
async def producer_page(request: web.Request) -> web.Response:
    return await _producer_page(request, {}, {})


async def _producer_page(
    request: web.Request,
    values: Any,
    errors: dict[str, str],
    error: BackendError | None = None,
    status: int = 200,
) -> web.Response:
    backends, lang = backends_of(request), language(request)
    producer_id = request.match_info["id"]
    # The producer first: an unknown one is one 404, and its hub is where its shortages are.
    producer = await _producer(request)
    deliveries, days, messages, shortages = await asyncio.gather(
        backends.get("intake", ("v1", "producers", producer_id, "deliveries"), language=lang),
        # Left to intake, the window is the 30 days up to today in the hub's own zone.
        backends.get("intake", ("v1", "producers", producer_id, "days"), language=lang),
        backends.get(
            "notifier", ("v1", "messages"), language=lang, params={"producer_id": producer_id}
        ),
        # Intake filters shortages by hub only: the producer's are picked from the hub's open
        # ones (a hub has far fewer open shortages than this).
        backends.get(
            "intake",
            ("v1", "shortages"),
            language=lang,
            params={"hub": producer["hub"], "open": "true", "limit": MAX_SHORTAGES},
        ),
    )
    programme = [row for row in days["days"] if row["kind"] == "programme"]
    totals = {
        "units_sold": sum(row["units_sold"] for row in days["days"]),
        "earnings": sum(row["earnings"] for row in days["days"]),
        # Paid from a free-mask programme's budget, not by buyers: shown apart as well.
        "programme_units": sum(row["units_sold"] for row in programme),
        "programme_earnings": sum(row["earnings"] for row in programme),
    }
    context = {
        "producer": producer,
        "deliveries": deliveries,
        "days": sorted(days["days"], key=lambda row: (row["day"], row["sku"]), reverse=True),
        "totals": totals,
        "messages": messages["messages"],
        "shortages": [s for s in shortages["shortages"] if s["producer_id"] == producer_id],
        "saved": request.query.get("tersimpan"),
        "values": {field: values.get(field) or "" for field in SHORTAGE_FIELDS},
        "errors": errors,
        "problem": error,
        "units": SHORTAGE_UNITS,
    }
    return render(request, "producer.html", context, status=status)


@routes.post("/produsen/{id:" + UUID + "}/kekurangan")
@allowed(Role.staff)
async def report_shortage(request: web.Request) -> web.Response:
    producer_id = request.match_info["id"]
    form = await request.post()
    body = {field: str(form.get(field, "")).strip() or None for field in SHORTAGE_FIELDS}
    body["amount"] = as_number(str(form.get("amount", "")))
    try:
        await backends_of(request).post(
            "intake",
            ("v1", "producers", producer_id, "shortages"),
            language=language(request),
            json=body,
        )
    except BackendError as error:
        if error.status != 422:
            raise
        return await _producer_page(request, form, errors_by_field(error), error, status=422)
    raise see_other(f"/produsen/{producer_id}?tersimpan=kekurangan")


@routes.post("/kekurangan/{id:" + UUID + "}/selesai")
@allowed(Role.staff)
async def resolve_shortage(request: web.Request) -> web.Response:
    form = await request.post()
    await backends_of(request).post(
        "intake",
        ("v1", "shortages", request.match_info["id"], "resolve"),
        language=language(request),
    )
    back = str(form.get("next", ""))
    raise see_other(back, fallback="/produsen")
