"""The console's pages, one module each; `routes()` gathers them for the app."""

from aiohttp import web

from services.console.pages import reports, sign_in


def routes() -> list[web.AbstractRouteDef]:
    return [*sign_in.routes, *reports.routes]
