"""Partners, for admins only: create one, rotate and revoke its keys, and replay its failed
status callbacks.

A new key is shown once. It must not travel in a redirect's URL (browser history, logs), so the
POST keeps it here under a random one-time ticket bound to the admin who made it, and the page it
redirects to takes it out: a reload finds it gone. One console process holds its own tickets.
"""

import asyncio
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from services.console.accounts import Role
from services.console.backends import KEY_PREFIX, UUID, BackendError, backends_of
from services.console.forms import as_number, errors_by_field
from services.console.redirects import see_other
from services.console.sessions import OPERATOR, allowed
from services.console.views import language, render

routes = web.RouteTableDef()

# `orders:track` opens any order by its code, `orders:cancel-verified` cancels for the buyer
# whose phone the key's door checked: for the centre's own doors (the buyers' site, the chat),
# never ticked for a new partner unless an admin means it. `programmes:apply` applies to
# free-mask programmes for recipients (a village or health office applying for its residents).
SCOPES = (
    "orders:write",
    "orders:read",
    "orders:track",
    "orders:cancel-verified",
    "programmes:apply",
)
DEFAULT_SCOPES = ("orders:write", "orders:read")
TICKET_SECONDS = 300
DEFAULT_GRACE_HOURS = 24


@dataclass(frozen=True)
class _Shown:
    operator_id: uuid.UUID
    until: float
    partner_name: str
    api_key: str
    callback_secret: str | None


_TICKETS: dict[str, _Shown] = {}


def _keep(request: web.Request, partner_name: str, api_key: str, secret: str | None) -> str:
    now = time.monotonic()
    for ticket in [t for t, shown in _TICKETS.items() if shown.until < now]:
        del _TICKETS[ticket]
    ticket = secrets.token_urlsafe(16)
    _TICKETS[ticket] = _Shown(
        request[OPERATOR].id, now + TICKET_SECONDS, partner_name, api_key, secret
    )
    return ticket


def _take(request: web.Request) -> _Shown | None:
    shown = _TICKETS.pop(request.query.get("kunci", ""), None)
    if shown is None or shown.operator_id != request[OPERATOR].id:
        return None
    return shown if shown.until >= time.monotonic() else None


@routes.get("/mitra")
@allowed(Role.admin)
async def partners(request: web.Request) -> web.Response:
    return await _page(request, {}, {})


async def _page(
    request: web.Request,
    values: Any,
    errors: dict[str, str],
    error: BackendError | None = None,
    status: int = 200,
) -> web.Response:
    backends, lang = backends_of(request), language(request)
    listed, failed = await asyncio.gather(
        backends.get("orders", ("v1", "partners"), language=lang),
        backends.get("orders", ("v1", "callbacks"), language=lang, params={"state": "failed"}),
    )
    context = {
        "partners": listed["partners"],
        "partner_names": {partner["id"]: partner["name"] for partner in listed["partners"]},
        "callbacks": failed["callbacks"],
        "shown": _take(request),
        "done": request.query.get("selesai"),
        "values": {
            "name": values.get("name", ""),
            "hubs": values.get("hubs", ""),
            "callback_url": values.get("callback_url", ""),
            "requests_per_minute": values.get("requests_per_minute", "600"),
            "scopes": values.getall("scopes", []) if values else list(DEFAULT_SCOPES),
        },
        "scopes": SCOPES,
        "errors": errors,
        "problem": error,
    }
    return render(request, "partners.html", context, status=status)


@routes.post("/mitra")
@allowed(Role.admin)
async def create_partner(request: web.Request) -> web.Response:
    form = await request.post()
    hubs = [hub.strip() for hub in str(form.get("hubs", "")).replace(";", ",").split(",")]
    body: dict[str, Any] = {
        "name": str(form.get("name", "")).strip(),
        "hubs": [hub for hub in hubs if hub],
        "scopes": [str(scope) for scope in form.getall("scopes", [])],
        "requests_per_minute": as_number(str(form.get("requests_per_minute", ""))) or 600,
    }
    if url := str(form.get("callback_url", "")).strip():
        body["callback_url"] = url
    try:
        made = await backends_of(request).post(
            "orders", ("v1", "partners"), language=language(request), json=body
        )
    except BackendError as error:
        if error.status != 422:
            raise
        return await _page(request, form, errors_by_field(error), error, status=422)
    name = made["partner"]["name"]
    ticket = _keep(request, name, made["api_key"], made["callback_secret"])
    raise see_other(f"/mitra?kunci={ticket}")


@routes.post("/mitra/{id:" + UUID + "}/kunci")
@allowed(Role.admin)
async def rotate_key(request: web.Request) -> web.Response:
    form = await request.post()
    given = str(form.get("grace_hours", "")).strip()
    hours = int(given) if given.isdecimal() else DEFAULT_GRACE_HOURS
    issued = await backends_of(request).post(
        "orders",
        ("v1", "partners", request.match_info["id"], "keys"),
        language=language(request),
        json={"previous_key_valid_seconds": hours * 3600},
    )
    ticket = _keep(request, str(form.get("name", "")), issued["api_key"], None)
    raise see_other(f"/mitra?kunci={ticket}")


@routes.post("/mitra/{id:" + UUID + "}/kunci/{prefix:" + KEY_PREFIX + "}/cabut")
@allowed(Role.admin)
async def revoke_key(request: web.Request) -> web.Response:
    partner_id, prefix = request.match_info["id"], request.match_info["prefix"]
    await backends_of(request).call(
        "orders",
        "DELETE",
        ("v1", "partners", partner_id, "keys", prefix),
        language=language(request),
    )
    raise see_other(f"/mitra?selesai=cabut#mitra-{partner_id}")


@routes.post("/mitra/callback/{id:" + UUID + "}/ulang")
@allowed(Role.admin)
async def replay_callback(request: web.Request) -> web.Response:
    await backends_of(request).post(
        "orders",
        ("v1", "callbacks", request.match_info["id"], "replay"),
        language=language(request),
        # A new key per press: pressing twice on purpose sends twice.
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    raise see_other("/mitra?selesai=ulang")
