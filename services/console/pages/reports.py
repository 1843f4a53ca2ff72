"""Reports to take home (the day, producers' payouts, a product's queue) as XLSX or CSV, and
producers brought in from a spreadsheet. The files are made by services/console/reports.py from
the services' answers, the same way the `plut` CLI makes them."""

import asyncio
from datetime import date, datetime
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, model_validator

from services.console import producer_file, reports, uploads
from services.console.accounts import Role
from services.console.backends import BackendError, backends_of
from services.console.redirects import see_other
from services.console.reports import Report
from services.console.sessions import DAY_EXPORT, PAYOUTS_EXPORT, QUEUE_EXPORT, allowed
from services.console.uploads import UnreadableFile
from services.console.views import hub_of, language, render, text
from shared.fields import Sku
from shared.pages import ZONE
from shared.problems import Text
from shared.web import read_query

routes = web.RouteTableDef()
IMPORT_PATH = "/laporan/impor"
MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}


class Export(BaseModel):
    format: Literal["xlsx", "csv"] = "xlsx"


class DayQuery(Export):
    tanggal: date


class PayoutsQuery(Export):
    dari: date
    sampai: date

    @model_validator(mode="after")
    def _in_order(self) -> "PayoutsQuery":
        if self.sampai < self.dari:
            raise ValueError("sampai < dari")
        return self


class QueueQuery(Export):
    produk: Sku


def report_fetch(request: web.Request) -> reports.Fetch:
    backends, lang = backends_of(request), language(request)

    async def fetch(service: str, path: str, query: Any) -> Any:
        items = query.items() if isinstance(query, dict) else (query or [])
        params = [(key, str(value)) for key, value in items]
        return await backends.get(service, path, language=lang, params=params)

    return fetch


async def _attachment(
    request: web.Request, report: Report, chosen: str, *parts: object
) -> web.Response:
    lang = language(request)
    # A queue of 100,000 rows takes seconds to write: off the event loop.
    if chosen == "xlsx":
        body = await asyncio.to_thread(reports.xlsx, report, lang)
    else:
        body = (await asyncio.to_thread(reports.csv_text, report, lang)).encode()
    name = reports.file_name(report, lang, *parts, extension=chosen)
    return web.Response(
        body=body,
        content_type=MEDIA[chosen],
        charset="utf-8" if chosen == "csv" else None,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@routes.get("/laporan")
async def reports_page(request: web.Request) -> web.Response:
    hub = hub_of(request)
    try:
        answer = await backends_of(request).get(
            "orders", ("v1", "hubs", hub, "products"), language=language(request)
        )
        products = answer.get("products", [])
    except BackendError:
        products = []  # the form still takes a product's code typed in
    today = datetime.now(ZONE).date()
    return render(
        request,
        "reports.html",
        {"today": today, "month_start": today.replace(day=1), "products": products},
    )


@routes.get(DAY_EXPORT)
async def day_export(request: web.Request) -> web.Response:
    query = read_query(request, DayQuery)
    hub = hub_of(request)
    report = await reports.gather_day(report_fetch(request), hub, query.tanggal)
    return await _attachment(request, report, query.format, hub, query.tanggal)


@routes.get(PAYOUTS_EXPORT)
async def payouts_export(request: web.Request) -> web.Response:
    query = read_query(request, PayoutsQuery)
    hub = hub_of(request)
    try:
        report = await reports.gather_payouts(report_fetch(request), hub, query.dari, query.sampai)
    except BackendError as refused:
        # intake names its own parameters; the operator filled in the form's.
        for error in refused.field_errors:
            error["field"] = {"from": "dari", "to": "sampai"}.get(error["field"], error["field"])
        raise
    return await _attachment(request, report, query.format, hub, query.dari, query.sampai)


@routes.get(QUEUE_EXPORT)
async def queue_export(request: web.Request) -> web.Response:
    query = read_query(request, QueueQuery)
    hub = hub_of(request)
    report = await reports.gather_queue(report_fetch(request), hub, query.produk)
    today = datetime.now(ZONE).date()
    return await _attachment(request, report, query.format, hub, query.produk, today)


# Importing producers


def _import_form(request: web.Request, status: int = 200, **shown: Any) -> web.Response:
    context = {"imported": None, "failure": None, "row_errors": [], "field_errors": []}
    return render(request, "reports_import.html", {**context, **shown}, status=status)


@routes.get(IMPORT_PATH)
@allowed(Role.staff)
async def import_form(request: web.Request) -> web.Response:
    imported = request.query.get("diimpor")
    return _import_form(request, imported=int(imported) if (imported or "").isdigit() else None)


@routes.get(IMPORT_PATH + "/templat")
@allowed(Role.staff)
async def import_template(request: web.Request) -> web.Response:
    lang = language(request)
    name = text(request, Text("templat-produsen", "producers-template")) + ".xlsx"
    return web.Response(
        body=producer_file.template(lang),
        content_type=MEDIA["xlsx"],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@routes.post(IMPORT_PATH)
@allowed(Role.staff)
async def import_producers(request: web.Request) -> web.Response:
    """All rows or none: intake checks every row before writing any, and its per-row errors
    are shown with the spreadsheet's own row numbers."""
    try:
        rows = producer_file.read_producers(await uploads.uploaded_table(request, "berkas"))
    except UnreadableFile as refused:
        return _import_form(request, 422, failure=text(request, refused.message))
    body = {"hub": hub_of(request), "producers": [row.fields for row in rows]}
    try:
        answer = await backends_of(request).post(
            "intake", ("v1", "producers", "import"), language=language(request), json=body
        )
    except BackendError as refused:
        if refused.status >= 500:
            raise
        return _import_form(
            request,
            422,
            failure=refused.problem.get("title"),
            row_errors=sheet_rows(refused.problem.get("rows", []), rows),
            field_errors=refused.field_errors,
        )
    raise see_other(f"{IMPORT_PATH}?diimpor={answer['imported']}")


def sheet_rows(errors: list[dict], rows: list[producer_file.ImportRow]) -> list[dict]:
    """intake numbers the producers it was sent from 1; the staff know the spreadsheet's rows
    (blank ones skipped, the header row 1)."""
    shown = []
    for error in errors:
        index = int(error.get("row", 0)) - 1
        row = rows[index].row if 0 <= index < len(rows) else error.get("row")
        shown.append({**error, "row": row})
    return sorted(shown, key=lambda error: (error["row"], error.get("field", "")))
