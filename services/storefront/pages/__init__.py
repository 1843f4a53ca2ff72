"""The site's pages, one module per step of the buyer's path; `routes()` gathers them."""

from aiohttp import web

from services.storefront.pages import (
    applying,
    cancelling,
    home,
    ordering,
    phone_check,
    programmes,
    tracking,
    window_signup,
)


def routes() -> list[web.AbstractRouteDef]:
    return [
        *home.routes,
        *ordering.routes,
        *phone_check.routes,
        *tracking.routes,
        *cancelling.routes,
        *window_signup.routes,
        *programmes.routes,
        *applying.routes,
    ]
