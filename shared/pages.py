"""What the two sites for people share (the operators' console, the buyers' storefront): an
aiohttp app with a schema of its own, server-rendered templates, static files versioned by their
content, health and metrics; and what every page's template is given (the language, numbers,
money and dates). Each site adds its middlewares, its backends and its pages."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.typedefs import Middleware

from shared import formats, health, scrape
from shared.config import ServiceSettings
from shared.db import migrations_in, open_database
from shared.scrape import READINGS
from shared.web import DATABASE, SERVICE, SETTINGS

# Each static file's versioned URL, made once: aiohttp reads and hashes the file at every
# url_for, which cost a page under a crowd more than its template.
STATIC_URLS = web.AppKey("static_urls", dict[str, str])
ZONE = ZoneInfo("Asia/Jakarta")


class SiteSettings(ServiceSettings):
    """A site acts only through the services' APIs, found here."""

    intake_url: str = "http://localhost:8081"
    orders_url: str = "http://localhost:8082"
    allocator_url: str = "http://localhost:8083"
    notifier_url: str = "http://localhost:8084"
    backend_timeout_seconds: float = 10.0
    # Cookies go only over HTTPS; off (SECURE_COOKIES=false) only for a site on plain HTTP on
    # one's own machine, as the local compose stack and the tests serve it.
    secure_cookies: bool = True
    # A site faces people, maybe the internet: its /metrics only for the scraper (METRICS_TOKEN).
    metrics_require_token: bool = True


def site_app(
    settings: SiteSettings,
    *,
    service: str,
    here: Path,
    middlewares: Sequence[Middleware],
    client_max_size: int,
) -> web.Application:
    """The app with its database (migrated from `here/migrations`) as the first cleanup
    context, its templates from `here/templates` and its files from `here/static`."""
    app = web.Application(client_max_size=client_max_size, middlewares=middlewares)
    app[SERVICE] = service
    app[SETTINGS] = settings
    app[READINGS] = ()
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(here / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )

    async def database(app: web.Application):
        migrations = migrations_in(here / "migrations")
        timeout = settings.startup_timeout_seconds
        async for pool in open_database(
            settings.database_url, service, migrations, timeout=timeout
        ):
            app[DATABASE] = pool
            yield

    app.cleanup_ctx.append(database)
    app.router.add_routes([*health.routes, *scrape.routes])
    static = app.router.add_static("/static/", here / "static", name="static", append_version=True)
    app[STATIC_URLS] = {
        path.name: str(static.url_for(filename=path.name)) for path in (here / "static").iterdir()
    }
    return app


def page_context(request: web.Request, lang: str) -> dict[str, Any]:
    """What every template of either site may use, in the visitor's language."""
    return {
        "lang": lang,
        "T": lambda indonesian, english: english if lang == "en" else indonesian,
        "path_qs": request.path_qs,
        # Versioned by content, so a browser never keeps an old stylesheet.
        "static": request.app[STATIC_URLS].__getitem__,
        "number": lambda value: formats.number(value, lang),
        "rupiah": lambda value: formats.rupiah(value, lang),
        "day": lambda value: formats.day(value, lang),
        # In the hub's zone (`timezone`, as intake keeps it) where the page has a hub.
        "moment": lambda value, timezone=None: formats.moment(value, lang, _zone(timezone)),
        "zone_name": lambda timezone=None: formats.zone_name(_zone(timezone)),
    }


def _zone(timezone: str | None) -> ZoneInfo:
    return ZoneInfo(timezone) if timezone else ZONE
