"""A programme's funder's report as XLSX or PDF (funder_report.py, funder_pdf.py, from the orders
service's report and intake's hub and producers' names), and one of its draws as published:
the seed, the entrants' draw tickets in entry order and the winners', replayed here with the
published algorithm (tools/replay_draw.py) so the operator sees that they agree."""

import asyncio
from typing import Literal

from aiohttp import web
from pydantic import BaseModel

from services.console import funder_pdf, funder_report
from services.console.backends import UUID, backends_of
from services.console.pages.programmes import ONE
from services.console.pages.reports import MEDIA, report_fetch
from services.console.views import PUBLIC_SITE, language, render
from shared.web import read_query
from tools.replay_draw import replayed

routes = web.RouteTableDef()
FILE_MEDIA = {**MEDIA, "pdf": "application/pdf"}


class ReportQuery(BaseModel):
    format: Literal["xlsx", "pdf"] = "pdf"


@routes.get(ONE + "/laporan")
async def funders_report(request: web.Request) -> web.Response:
    query = read_query(request, ReportQuery)
    lang = language(request)
    funder = await funder_report.gather(report_fetch(request), request.match_info["id"])
    # Hundreds of rows of a long programme take a moment to lay out: off the event loop.
    if query.format == "xlsx":
        body = await asyncio.to_thread(funder_report.xlsx, funder, lang)
    else:
        body = await asyncio.to_thread(funder_pdf.pdf, funder)
    name = funder_report.file_name(funder, lang, query.format)
    return web.Response(
        body=body,
        content_type=FILE_MEDIA[query.format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@routes.get(ONE + "/undian/{draw:" + UUID + "}")
async def published_draw(request: web.Request) -> web.Response:
    backends, lang = backends_of(request), language(request)
    programme_id, draw_id = request.match_info["id"], request.match_info["draw"]
    programme, draw = await asyncio.gather(
        backends.get("orders", ("v1", "programmes", programme_id), language=lang),
        backends.get("orders", ("v1", "programmes", programme_id, "draws", draw_id), language=lang),
    )
    site = request.app[PUBLIC_SITE]
    try:
        same = replayed(draw) == draw["winner_tickets"]
    except (ValueError, KeyError, TypeError):
        same = None  # an algorithm or a shape this console does not know: not judged
    context = {
        "programme": programme,
        "draw": draw,
        "winners": set(draw.get("winner_tickets") or ()),
        "replayed_same": same,
        "public": f"{site}/program/{programme_id}/undian/{draw_id}" if site else "",
    }
    return render(request, "programme_draw.html", context)
