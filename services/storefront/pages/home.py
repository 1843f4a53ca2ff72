"""The home page (each hub's products with their figures) and the language switch."""

import unicodedata
from urllib.parse import urlsplit

from aiohttp import web

from services.storefront.guards import keep_cookie
from services.storefront.pages.common import FIGURES
from services.storefront.views import LANGUAGE_COOKIE, render_shared

routes = web.RouteTableDef()
HOME = "/"


def local(target: str | None) -> str:
    """Only a path on this site: a link must not send anyone elsewhere. Browsers drop tabs and
    line breaks in a URL and read `\\` as `/` (`/\\t/evil.example` is `//evil.example`), so
    any of those, or any other control character, sends home rather than being cleaned."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return HOME
    if "\\" in target or any(c.isspace() or unicodedata.category(c)[0] == "C" for c in target):
        return HOME
    parts = urlsplit(target)
    return HOME if parts.scheme or parts.netloc else target


@routes.get(HOME)
async def home(request: web.Request) -> web.Response:
    hubs = await request.app[FIGURES].all()
    return render_shared(request, "home.html", {"hubs": hubs})


@routes.get("/bahasa")
async def switch_language(request: web.Request) -> web.Response:
    """`?ke=en` or `?ke=id`, then back to the page the switch was on."""
    chosen = "en" if request.query.get("ke") == "en" else "id"
    response = web.HTTPSeeOther(local(request.query.get("next")))
    keep_cookie(request, response, LANGUAGE_COOKIE, chosen, max_age=365 * 86400)
    raise response
