"""Free-mask programmes (issue 21): a hub's open programmes, each programme's page where an
applicant proves their phone first (the same phone check as an order's), and a published draw
for anyone to check. The form itself comes once the phone is proved (pages/applying.py)."""

import uuid

from aiohttp import web

from services.storefront.guards import BAD_FORM, NO_PAGE, form_of
from services.storefront.pages.common import (
    FIGURES,
    PROGRAMME_READS,
    code_sent,
    honeypot_filled,
    phone_typed,
)
from services.storefront.pages.ordering import NOT_OFFERED
from services.storefront.views import language, render
from shared.order_form import BUYER_TYPE_NAMES
from shared.problems import Text

routes = web.RouteTableDef()
PROGRAMME = "/program/{hub}/{programme_id}"
# Who the phone's code greets: the name comes later, on the form.
APPLICANT = Text("Pendaftar", "Applicant")
SELECTION = {
    "lottery": Text(
        "Bila pendaftar lebih banyak dari anggaran, penerima diundi. Undiannya diumumkan.",
        "If more apply than the budget covers, recipients are drawn by lot, in public.",
    ),
    "first_come": Text(
        "Siapa cepat dia dapat, selama anggaran masih ada.",
        "First come, first served, while the budget lasts.",
    ),
}


async def _hub(request: web.Request):
    hub = await request.app[FIGURES].offered(request.match_info["hub"])
    if hub is None:
        raise NOT_OFFERED
    return hub


def uuid_in(request: web.Request, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError:
        raise NO_PAGE from None


async def open_programme(request: web.Request, hub: str, programme_id: uuid.UUID) -> dict:
    """The programme if it is the hub's and open for applications, else the page not found."""
    programme = await request.app[PROGRAMME_READS].one(programme_id)
    if programme is None or programme.get("hub") != hub or programme.get("status") != "open":
        raise NO_PAGE
    return programme


@routes.get("/program/{hub}")
async def programmes_of_hub(request: web.Request) -> web.Response:
    hub = await _hub(request)
    listed = await request.app[PROGRAMME_READS].open_at(hub.code)
    context = {"hub": hub, "programmes": listed, "selection": SELECTION}
    return render(request, "programmes.html", context)


def _programme_page(request, hub, programme, typed: str = "", error=None, status: int = 200):
    context = {
        "hub": hub,
        "programme": programme,
        "selection": SELECTION.get(programme["selection"]),
        "buyer_types": [
            BUYER_TYPE_NAMES[t] for t in programme["buyer_types"] if t in BUYER_TYPE_NAMES
        ],
        "typed": typed,
        "error": error,
        "errors": {"phone": error} if error else {},
    }
    return render(request, "programme.html", context, status=status)


@routes.get(PROGRAMME)
async def programme_page(request: web.Request) -> web.Response:
    hub = await _hub(request)
    programme = await open_programme(request, hub.code, uuid_in(request, "programme_id"))
    return _programme_page(request, hub, programme)


@routes.post(PROGRAMME)
async def phone_to_check(request: web.Request) -> web.Response:
    """The applicant's phone, checked with a code before the form: the form's answers (the NIK
    above all) are then never kept here, only passed on to the orders service."""
    hub = await _hub(request)
    programme = await open_programme(request, hub.code, uuid_in(request, "programme_id"))
    form = await form_of(request)
    if honeypot_filled(form):
        raise BAD_FORM
    typed, phone, error = phone_typed(form)
    if phone is None:
        return _programme_page(request, hub, programme, typed, error, status=400)
    name = APPLICANT.in_language(language(request))
    intent = {"hub": hub.code, "programme_id": programme["id"], "buyer": {"name": name}}
    return await code_sent(
        request, purpose="programme", phone=phone, name=name, hub=hub.code, intent=intent
    )


@routes.get("/program/{programme_id}/undian/{draw_id}")
async def published_draw(request: web.Request) -> web.Response:
    """A draw as the orders service publishes it: the seed, the entrants' draw tickets in entry
    order, the winners' tickets, and how to replay it (no order code: a code opens its order)."""
    programme_id = uuid_in(request, "programme_id")
    reads = request.app[PROGRAMME_READS]
    programme = await reads.one(programme_id)
    draw = programme and await reads.draw(programme_id, uuid_in(request, "draw_id"))
    if not draw:
        raise NO_PAGE
    hub = await request.app[FIGURES].hub(programme["hub"])
    context = {"programme": programme, "draw": draw, "zone": hub.timezone if hub else None}
    return render(request, "draw.html", context)
