"""The headers every page the centre serves carries (the console's, the buyers' site's): each
serves everything itself, so nothing from elsewhere may run, load, frame it or be told which
page a person came from (a producer's id, a search for a phone number, an order code)."""

from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as redirect:  # a redirect is an answer too
        redirect.headers.update(SECURITY_HEADERS)
        raise
    for name, value in SECURITY_HEADERS.items():
        # Static files are versioned by content: they may be kept.
        if not (name == "Cache-Control" and request.path.startswith("/static/")):
            response.headers.setdefault(name, value)
    return response
