"""The console's wiring: its own schema (operators, sessions), the other services as HTTP
clients, the pages and their static files. No broker: it changes things only through the other
services' APIs, which publish the events."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import aiohttp
from aiohttp import web
from pydantic import StringConstraints

from services.console import pages
from services.console.backends import BACKENDS, Backends
from services.console.errors import error_pages
from services.console.sessions import session_middleware
from services.console.uploads import MAX_UPLOAD_BYTES
from services.console.views import DEFAULT_HUB, PUBLIC_SITE
from shared.guesses import GUESSES, Guesses
from shared.page_security import security_headers
from shared.pages import SiteSettings, site_app
from shared.web import correlation_middleware, problem_middleware, timing_middleware

HERE = Path(__file__).parent


class Settings(SiteSettings):
    http_port: int = 8085
    # The hub this console serves until an operator picks another.
    hub: str = "kalteng"
    session_hours: float = 12.0
    # The buyers' site (services/storefront): a programme's draws link to their published page
    # on it. Empty: the console's own view of the draw only.
    public_site_url: Annotated[
        str, StringConstraints(pattern=r"^(https?://[^\s/?#]+(/[^\s?#]*)?)?$")
    ] = ""


def create_app(settings: Settings) -> web.Application:
    app = site_app(
        settings,
        service="console",
        here=HERE,
        middlewares=[
            timing_middleware,
            correlation_middleware,
            problem_middleware,
            security_headers,
            error_pages,
            session_middleware,
        ],
        # An XLSX of thousands of producers is larger than any JSON body the APIs take.
        client_max_size=MAX_UPLOAD_BYTES,
    )
    app[GUESSES] = Guesses.of(settings)
    app[DEFAULT_HUB] = settings.hub
    app[PUBLIC_SITE] = settings.public_site_url.rstrip("/")

    async def backends(app: web.Application) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=settings.backend_timeout_seconds)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            app[BACKENDS] = Backends(
                session,
                {
                    "intake": settings.intake_url,
                    "orders": settings.orders_url,
                    "allocator": settings.allocator_url,
                    "notifier": settings.notifier_url,
                },
                settings.operator_tokens(),
            )
            yield

    app.cleanup_ctx.append(backends)
    app.router.add_routes(pages.routes())
    return app
