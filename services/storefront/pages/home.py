"""The home page (each hub's products with their figures) and the language switch."""

from aiohttp import web

from services.storefront.pages.common import FIGURES
from services.storefront.views import LANGUAGE_COOKIE, render

routes = web.RouteTableDef()
HOME = "/"


def local(target: str | None) -> str:
    """Only a path on this site: a link must not send anyone elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return HOME
    return target


@routes.get(HOME)
async def home(request: web.Request) -> web.Response:
    hubs = await request.app[FIGURES].all()
    return render(request, "home.html", {"hubs": hubs})


@routes.get("/bahasa")
async def switch_language(request: web.Request) -> web.Response:
    """`?ke=en` or `?ke=id`, then back to the page the switch was on."""
    chosen = "en" if request.query.get("ke") == "en" else "id"
    response = web.HTTPSeeOther(local(request.query.get("next")))
    response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 86400, samesite="Lax", path="/")
    raise response
