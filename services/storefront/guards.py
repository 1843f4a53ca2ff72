"""What stands between the public and the pages: the console's security headers, a form token
in a cookie that every form sends back (there are no sessions to hold one), and a clear page,
never a 500 or a stack trace, for whatever a visitor sends.
"""

import hmac
import math
import secrets
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from services.storefront.backends import BackendError
from services.storefront.views import FORM_TOKEN, PageError, render
from shared.problems import Text
from shared.web import SETTINGS

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

FORM_COOKIE = "sf_form"
FORM_FIELD = "csrf"
MACHINE_PREFIXES = ("/static/", "/health", "/ready", "/metrics")

BAD_FORM = PageError(
    400,
    Text("Formulir tidak dapat dibaca", "The form could not be read"),
    Text(
        "Buka halamannya lagi dari awal, isi, lalu kirim.",
        "Open the page again from the start, fill it in and send it.",
    ),
)
STALE_FORM = PageError(
    403,
    Text("Formulir sudah kedaluwarsa", "The form has expired"),
    Text("Muat ulang halaman lalu coba lagi.", "Reload the page and try again."),
)
TOO_LARGE = PageError(
    413,
    Text("Isian terlalu panjang", "Too much was sent"),
    Text(
        "Isi formulir dengan jawaban yang lebih pendek.", "Fill in the form with shorter answers."
    ),
)
BROKEN = PageError(
    500,
    Text("Maaf, terjadi kesalahan di pihak kami", "Sorry, something went wrong on our side"),
    Text("Coba lagi sebentar lagi.", "Try again shortly."),
)
NO_PAGE = PageError(404, Text("Halaman tidak ditemukan", "Page not found"))
BUSY = PageError(
    503,
    Text("Layanan sedang sibuk", "The service is busy"),
    Text("Coba lagi dalam beberapa menit.", "Try again in a few minutes."),
)


async def form_of(request: web.Request):
    """The posted form, or a clear page for a body that is none (a wrong type, bad encoding)."""
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise BAD_FORM
    try:
        return await request.post()
    except web.HTTPRequestEntityTooLarge:
        raise TOO_LARGE from None
    except (ValueError, UnicodeDecodeError, AssertionError):
        raise BAD_FORM from None


@web.middleware
async def form_token(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A token per browser, in an HttpOnly cookie and in every form; a POST must bring both."""
    if request.path.startswith(MACHINE_PREFIXES):
        return await handler(request)
    token = request.cookies.get(FORM_COOKIE, "")
    fresh = len(token) < 32 or len(token) > 64
    request[FORM_TOKEN] = secrets.token_urlsafe(32) if fresh else token
    if request.method == "POST":
        sent = str((await form_of(request)).get(FORM_FIELD, ""))
        if fresh or not hmac.compare_digest(sent.encode(), token.encode()):
            raise STALE_FORM
    response = await handler(request)
    if fresh:
        keep_cookie(request, response, FORM_COOKIE, request[FORM_TOKEN])
    return response


def keep_cookie(
    request: web.Request, response: web.StreamResponse, name: str, value: str, **options
) -> None:
    """A cookie scripts cannot read, sent back only by this site's own pages (and only over
    HTTPS unless the site runs without it)."""
    secure = request.app[SETTINGS].secure_cookies
    response.set_cookie(
        name, value, httponly=True, samesite="Lax", path="/", secure=secure, **options
    )


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure as a page in the visitor's language; the form token's cookie stays set."""
    try:
        return await handler(request)
    except PageError as error:
        return _page(request, error)
    except web.HTTPRequestEntityTooLarge:
        return _page(request, TOO_LARGE)
    except web.HTTPException as http:
        if http.status < 400:
            raise
        if http.status == 404:
            return _page(request, NO_PAGE)
        return _page(request, PageError(http.status, Text("Permintaan ditolak", "Request refused")))
    except BackendError as error:
        log.warning("a service refused", service=error.service, status=error.status)
        return _page(request, BUSY)
    except Exception:
        log.exception("page failed")
        return _page(request, BROKEN)


def _page(request: web.Request, error: PageError) -> web.Response:
    response = render(request, "error.html", {"error": error}, status=error.status)
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(error.retry_after)))
    if FORM_TOKEN in request and request.cookies.get(FORM_COOKIE) != request[FORM_TOKEN]:
        keep_cookie(request, response, FORM_COOKIE, request[FORM_TOKEN])
    return response
