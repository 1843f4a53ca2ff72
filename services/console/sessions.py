"""Signed-in sessions: a random token in an HttpOnly cookie, its hash in the database, and a
CSRF token per session that every form and every script's change must send back.

Pages ask who is signed in through `request[OPERATOR]`; a page for staff or admins says so with
`@allowed(Role.staff)`. Anything not public needs a session: a browser is sent to sign in, a
script gets 401. The reports' exports alone also take an operator token instead (`plut export`
fetches them so): it reads nothing the same token could not read at the services themselves.
"""

import functools
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import asyncpg
from aiohttp import web
from yarl import URL

from services.console.accounts import Operator, Role
from services.console.redirects import see_other
from shared.operators import operator_role
from shared.problems import Problem, Text
from shared.web import DATABASE

SESSION_COOKIE = "plut_session"
# Before sign-in there is no session to hold a CSRF token: the sign-in form double-submits one.
SIGN_IN_CSRF_COOKIE = "plut_signin"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"

OPERATOR = web.RequestKey("operator", Operator)
CSRF = web.RequestKey("csrf", str)
SIGN_IN_PATH = "/masuk"
# Served to anyone, and with no page around them: no session is looked up for these.
MACHINE_PREFIXES = ("/static/", "/health", "/ready", "/metrics")
# Pages anyone may open (they show who is signed in, if anyone).
PUBLIC_PREFIXES = (*MACHINE_PREFIXES, SIGN_IN_PATH, "/bahasa")
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# The reports a script may fetch with an operator token instead of a session.
DAY_EXPORT = "/laporan/hari"
PAYOUTS_EXPORT = "/laporan/pembayaran"
QUEUE_EXPORT = "/laporan/antrean"
TOKEN_PATHS = (DAY_EXPORT, PAYOUTS_EXPORT, QUEUE_EXPORT)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


START = """
INSERT INTO sessions (token_hash, operator_id, csrf_token, expires_at)
VALUES ($1, $2, $3, now() + $4)
"""
LOAD = """
SELECT o.id, o.username, o.name, o.role, s.csrf_token
FROM sessions s JOIN operators o ON o.id = s.operator_id
WHERE s.token_hash = $1 AND s.expires_at > now()
"""
END = "DELETE FROM sessions WHERE token_hash = $1"
# Expired sessions go when anyone signs in: no timer needed for a table this small.
SWEEP = "DELETE FROM sessions WHERE expires_at <= now()"


async def start(conn: asyncpg.Connection, operator: Operator, lasts: timedelta) -> str:
    token = secrets.token_urlsafe(32)
    await conn.execute(SWEEP)
    await conn.execute(START, _digest(token), operator.id, secrets.token_urlsafe(32), lasts)
    return token


async def end(conn: asyncpg.Connection, token: str) -> None:
    await conn.execute(END, _digest(token))


async def _load(pool: asyncpg.Pool, token: str) -> tuple[Operator, str] | None:
    row = await pool.fetchrow(LOAD, _digest(token))
    if row is None:
        return None
    operator = Operator(row["id"], row["username"], row["name"], Role[row["role"]])
    return operator, row["csrf_token"]


def wants_page(request: web.Request) -> bool:
    """A browser navigating (an HTML answer helps), not a script asking for data."""
    return request.method == "GET" and "text/html" in request.headers.get("Accept", "")


def _is_public(path: str) -> bool:
    return path.startswith(PUBLIC_PREFIXES)


NOT_SIGNED_IN = Problem(
    401,
    "not-signed-in",
    Text("Silakan masuk dulu", "Please sign in first"),
)
BAD_CSRF = Problem(
    403,
    "csrf-mismatch",
    Text(
        "Formulir kedaluwarsa; muat ulang halaman lalu coba lagi",
        "The form has expired; reload the page and try again",
    ),
)


async def sent_csrf(request: web.Request) -> str:
    if CSRF_HEADER in request.headers:
        return request.headers[CSRF_HEADER]
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def same_token(given: str, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(MACHINE_PREFIXES):
        return await handler(request)
    token = request.cookies.get(SESSION_COOKIE)
    loaded = await _load(request.app[DATABASE], token) if token else None
    if loaded is not None:
        request[OPERATOR], request[CSRF] = loaded
    if _is_public(request.path):
        return await handler(request)
    if loaded is None and request.method == "GET" and request.path in TOKEN_PATHS:
        # A wrong token is 401 and counted as a guess, as at the services.
        role = operator_role(request)
        if role is not None:
            request[OPERATOR] = _token_holder(role)
            return await handler(request)
    if loaded is None:
        if wants_page(request):
            target = URL(SIGN_IN_PATH).with_query(next=request.path_qs)
            raise see_other(str(target))
        raise NOT_SIGNED_IN
    if request.method not in _SAFE_METHODS and not same_token(
        await sent_csrf(request), request[CSRF]
    ):
        raise BAD_CSRF
    return await handler(request)


def _token_holder(role: Role) -> Operator:
    """Whoever holds the token of `role`: no account, the role's rights."""
    return Operator(uuid.UUID(int=0), f"token:{role.name}", f"Token {role.name}", role)


def allowed(role: Role) -> Callable[[Handler], Handler]:
    """Only operators of `role` or above; others get 403 (a viewer changes nothing)."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            if not request[OPERATOR].may(role):
                raise Problem(
                    403,
                    "role-too-low",
                    Text("Peran Anda tidak boleh melakukan ini", "Your role may not do this"),
                    Text(f"Perlu peran {role.name} atau lebih", f"Needs role {role.name} or above"),
                )
            return await handler(request)

        return guarded

    return wrap
