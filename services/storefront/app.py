"""The buyers' site: server-rendered pages for the public, Bahasa Indonesia first. Its own schema
holds only its own (phone checks, the limits' state, tracking codes); it reads and places
orders through the other services' APIs, as a partner with its own key. No broker."""

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp import web
from pydantic import Field, SecretStr

from services.storefront import pages
from services.storefront.backends import BACKENDS, Backend, Backends
from services.storefront.checks import CheckRules
from services.storefront.figures import Figures
from services.storefront.guards import error_pages, form_token
from services.storefront.order_reads import OrderReads
from services.storefront.pages.common import (
    CHECK_RULES,
    CODE_GUESSES,
    FIGURES,
    ORDER_READS,
    PROGRAMME_READS,
    PUBLIC_URL,
)
from services.storefront.programme_reads import ProgrammeReads
from services.storefront.rendered import RenderedPages
from services.storefront.views import RENDERED_PAGES
from services.storefront.window_watch import window_watch
from shared.guesses import Guesses
from shared.page_security import security_headers
from shared.pages import SiteSettings, site_app
from shared.web import LOG_ROUTE_TEMPLATES, correlation_middleware, timing_middleware

HERE = Path(__file__).parent
# A filled-in order form is well under 2 KB; anything far larger is not one.
MAX_FORM_BYTES = 8 * 1024


class Settings(SiteSettings):
    http_port: int = 8086
    # The site's own partner key (`plut partner create ...`); unset, the site takes no orders.
    storefront_partner_key: SecretStr | None = None
    # Signs the phone codes and phone numbers kept; set it, or codes die with each restart.
    storefront_code_secret: SecretStr | None = None
    code_lifetime_seconds: float = Field(default=300, gt=0)
    code_resend_seconds: float = Field(default=60, ge=0)
    code_tries: int = Field(default=5, ge=1)
    codes_per_phone_hour: int = Field(default=5, ge=1)
    codes_per_address_hour: int = Field(default=30, ge=1)
    # Where buyers reach the site: the QR code on an order's page links there.
    storefront_public_url: str = "http://localhost:8086"
    # The home page's figures, and each order as its page shows it, may be this old.
    figures_keep_seconds: float = Field(default=5, ge=0)
    order_keep_seconds: float = Field(default=3, ge=0)
    # How often it looks whether a window opened for a product someone asked to be told of.
    window_watch_seconds: float = Field(default=10, gt=0)


def create_app(settings: Settings) -> web.Application:
    app = site_app(
        settings,
        service="storefront",
        here=HERE,
        middlewares=[
            timing_middleware,
            correlation_middleware,
            security_headers,
            error_pages,
            form_token,
        ],
        client_max_size=MAX_FORM_BYTES,
    )
    app[LOG_ROUTE_TEMPLATES] = True  # /lacak/{code}: a tracking code opens its order's page
    app[PUBLIC_URL] = settings.storefront_public_url.rstrip("/")
    app[CODE_GUESSES] = Guesses.of(settings)
    app[RENDERED_PAGES] = RenderedPages()
    app[CHECK_RULES] = CheckRules(
        secret=_secret(settings.storefront_code_secret),
        lifetime_seconds=settings.code_lifetime_seconds,
        resend_seconds=settings.code_resend_seconds,
        tries=settings.code_tries,
        per_phone_hour=settings.codes_per_phone_hour,
        per_address_hour=settings.codes_per_address_hour,
    )

    async def backends(app: web.Application) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=settings.backend_timeout_seconds)
        key = _value(settings.storefront_partner_key)
        # The allocator's queue summary is a viewer's read, the notifier's phone codes a staff
        # member's call: the site, open to the internet, holds no admin token.
        viewer = _value(settings.operator_viewer_token)
        staff = _value(settings.operator_staff_token)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            app[BACKENDS] = Backends(
                session,
                {
                    "intake": Backend("intake", settings.intake_url, ""),
                    "allocator": Backend("allocator", settings.allocator_url, viewer),
                    "orders": Backend("orders", settings.orders_url, key),
                    "notifier": Backend("notifier", settings.notifier_url, staff),
                },
            )
            app[ORDER_READS] = OrderReads(app[BACKENDS], settings.order_keep_seconds)
            # The hubs offered are intake's that take site orders (and the key may order in).
            app[FIGURES] = Figures(app[BACKENDS], settings.figures_keep_seconds)
            app[PROGRAMME_READS] = ProgrammeReads(app[BACKENDS], settings.figures_keep_seconds)
            yield

    app.cleanup_ctx.append(backends)
    app.cleanup_ctx.append(window_watch(settings.window_watch_seconds))
    app.router.add_routes(pages.routes())
    return app


def _secret(configured: SecretStr | None) -> bytes:
    return _value(configured).encode() or secrets.token_bytes(32)


def _value(secret: SecretStr | None) -> str:
    return secret.get_secret_value() if secret is not None else ""
