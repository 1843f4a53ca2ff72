"""The console's wiring: its own schema (operators, sessions), the other services as HTTP
clients, the pages and their static files. No broker: it changes things only through the other
services' APIs, which publish the events."""

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import aiohttp_jinja2
import jinja2
from aiohttp import web

from services.console import pages
from services.console.backends import BACKENDS, Backends
from services.console.errors import error_pages
from services.console.sessions import session_middleware
from services.console.uploads import MAX_UPLOAD_BYTES
from services.console.views import DEFAULT_HUB
from shared import health, scrape
from shared.config import ServiceSettings
from shared.db import migrations_in, open_database
from shared.guesses import GUESSES, Guesses
from shared.page_security import security_headers
from shared.scrape import READINGS
from shared.web import (
    DATABASE,
    SERVICE,
    SETTINGS,
    correlation_middleware,
    problem_middleware,
    timing_middleware,
)

HERE = Path(__file__).parent


class Settings(ServiceSettings):
    http_port: int = 8085
    intake_url: str = "http://localhost:8081"
    orders_url: str = "http://localhost:8082"
    allocator_url: str = "http://localhost:8083"
    notifier_url: str = "http://localhost:8084"
    # The hub this console serves until an operator picks another.
    hub: str = "kalteng"
    session_hours: float = 12.0
    # Cookies go only over HTTPS; turned off (SECURE_COOKIES=false) only for a console on
    # plain HTTP on the operator's own machine, as the local compose stack serves it.
    secure_cookies: bool = True
    # Its /metrics is for the scraper, not the internet: refused without METRICS_TOKEN.
    metrics_require_token: bool = True
    backend_timeout_seconds: float = 10.0


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        # An XLSX of thousands of producers is larger than any JSON body the APIs take.
        client_max_size=MAX_UPLOAD_BYTES,
        middlewares=[
            timing_middleware,
            correlation_middleware,
            problem_middleware,
            security_headers,
            error_pages,
            session_middleware,
        ],
    )
    app[SERVICE] = "console"
    app[SETTINGS] = settings
    app[GUESSES] = Guesses.of(settings)
    app[READINGS] = ()
    app[DEFAULT_HUB] = settings.hub
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )

    async def database(app: web.Application) -> AsyncIterator[None]:
        async for pool in open_database(
            settings.database_url,
            "console",
            migrations_in(HERE / "migrations"),
            timeout=settings.startup_timeout_seconds,
        ):
            app[DATABASE] = pool
            yield

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

    app.cleanup_ctx.extend([database, backends])
    app.router.add_routes([*health.routes, *scrape.routes, *pages.routes()])
    app.router.add_static("/static/", HERE / "static", name="static", append_version=True)
    return app
