"""Signing in and out, and the language switch."""

import math
import secrets
from datetime import timedelta

from aiohttp import web

from services.console import accounts, attempts, sessions
from services.console.backends import is_code
from services.console.redirects import local_path, see_other
from services.console.sessions import (
    CSRF_FIELD,
    SESSION_COOKIE,
    SIGN_IN_CSRF_COOKIE,
    SIGN_IN_PATH,
    same_token,
)
from services.console.views import HUB_COOKIE, LANGUAGE_COOKIE, render
from shared.guesses import source_of, trusted_networks
from shared.web import DATABASE, SETTINGS

routes = web.RouteTableDef()


def _cookie_options(request: web.Request) -> dict:
    return {
        "httponly": True,
        "samesite": "Lax",
        "secure": request.app[SETTINGS].secure_cookies,
        "path": "/",
    }


def _form(
    request: web.Request, *, failed: bool, status: int = 200, wait_seconds: int = 0
) -> web.Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "sign_in.html",
        {
            "sign_in_csrf": token,
            "next": local_path(request.query.get("next")),
            "failed": failed,
            "wait_seconds": wait_seconds,
        },
        status=status,
    )
    response.set_cookie(SIGN_IN_CSRF_COOKIE, token, max_age=3600, **_cookie_options(request))
    if wait_seconds:
        response.headers["Retry-After"] = str(wait_seconds)
    return response


@routes.get(SIGN_IN_PATH)
async def sign_in_form(request: web.Request) -> web.Response:
    return _form(request, failed=False)


@routes.post(SIGN_IN_PATH)
async def sign_in(request: web.Request) -> web.Response:
    form = await request.post()
    if not same_token(str(form.get(CSRF_FIELD, "")), request.cookies.get(SIGN_IN_CSRF_COOKIE, "")):
        raise sessions.BAD_CSRF
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    settings = request.app[SETTINGS]
    source = source_of(request, trusted_networks(settings.trusted_proxies))
    async with request.app[DATABASE].acquire() as conn:
        # The attempt is counted before the password is checked: a burst cannot outrun it.
        wait = await attempts.reserve(conn, username, source)
        if wait:
            return _form(request, failed=True, status=429, wait_seconds=math.ceil(wait))
        operator = await accounts.sign_in(conn, username, password)
        if operator is None:
            return _form(request, failed=True, status=401)
        await attempts.clear(conn, username, source)
        lasts = timedelta(hours=request.app[SETTINGS].session_hours)
        token = await sessions.start(conn, operator, lasts)
    response = see_other(str(form.get("next", "")))
    response.set_cookie(
        SESSION_COOKIE, token, max_age=int(lasts.total_seconds()), **_cookie_options(request)
    )
    response.del_cookie(SIGN_IN_CSRF_COOKIE, path="/")
    raise response


@routes.post("/keluar")
async def sign_out(request: web.Request) -> web.Response:
    async with request.app[DATABASE].acquire() as conn:
        await sessions.end(conn, request.cookies[SESSION_COOKIE])
    response = see_other(SIGN_IN_PATH)
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


@routes.get("/bahasa")
async def switch_language(request: web.Request) -> web.Response:
    """`?ke=en` or `?ke=id`, then back to the page the switch was on."""
    chosen = "en" if request.query.get("ke") == "en" else "id"
    response = see_other(request.query.get("next"))
    response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 86400, **_cookie_options(request))
    raise response


@routes.post("/hub")
async def switch_hub(request: web.Request) -> web.Response:
    """Work at another hub: the choice stays in this browser."""
    form = await request.post()
    hub = str(form.get("hub", "")).strip().lower()
    response = see_other(str(form.get("next", "")))
    if is_code(hub):
        response.set_cookie(HUB_COOKIE, hub, max_age=365 * 86400, **_cookie_options(request))
    raise response
