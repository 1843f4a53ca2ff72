"""The console's pages, one module each; `routes()` gathers them for the app."""

from aiohttp import web

from services.console.pages import orders, partners, producers, sign_in


def routes() -> list[web.AbstractRouteDef]:
    return [*sign_in.routes, *producers.routes, *orders.routes, *partners.routes]
