"""A product whose pre-order window is full or closed (issue 21): "tell me when it opens
again". The phone is checked for form, kept by the site (store/window_signups.py, never shown
back) and counted against the codes' hourly limits; the watcher (window_watch.py) tells it once
when a window opens for the product."""

from aiohttp import web

from services.storefront import checks
from services.storefront.guards import BAD_FORM, NO_PAGE, form_of
from services.storefront.pages.common import (
    CHECK_RULES,
    FIGURES,
    asker,
    honeypot_filled,
    phone_typed,
    try_later,
)
from services.storefront.views import render
from shared.web import DATABASE

routes = web.RouteTableDef()
SIGNUP = "/kabari/{hub}/{sku}"


async def _product(request: web.Request):
    """The product as offered, with its hub's zone; a product with no window has no sign-up."""
    hub = await request.app[FIGURES].offered(request.match_info["hub"])
    sku = request.match_info["sku"]
    product = next((p for p in hub.products if p.sku == sku), None) if hub else None
    if product is None or product.window is None:
        raise NO_PAGE
    request["hub_timezone"] = hub.timezone
    return product


def _page(request, product, typed: str = "", error=None, status: int = 200, done: bool = False):
    context = {
        "hub": request.match_info["hub"],
        "product": product,
        "typed": typed,
        "error": error,
        "errors": {"phone": error} if error else {},
        "done": done,
        "hub_timezone": request["hub_timezone"],
    }
    return render(request, "window_signup.html", context, status=status)


@routes.get(SIGNUP)
async def signup_form(request: web.Request) -> web.Response:
    return _page(request, await _product(request))


@routes.post(SIGNUP)
async def signup(request: web.Request) -> web.Response:
    product = await _product(request)
    form = await form_of(request)
    if honeypot_filled(form):
        raise BAD_FORM
    typed, phone, error = phone_typed(form)
    if phone is None:
        return _page(request, product, typed, error, status=400)
    async with request.app[DATABASE].acquire() as conn:
        try:
            await checks.signed_up(
                conn,
                request.app[CHECK_RULES],
                asker(request),
                request.match_info["hub"],
                product.sku,
                phone,
            )
        except checks.TryLater as later:
            return try_later(request, later.at)
    # The phone is not shown back: whoever typed it may not be its owner.
    return _page(request, product, done=True)
