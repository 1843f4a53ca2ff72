"""The orders service's wiring."""

from pathlib import Path

from aiohttp import web
from pydantic import Field, IPvAnyNetwork, SecretStr

from services.orders.api import batch, codes, lookup, orders, windows
from services.orders.callbacks import api as callbacks_api
from services.orders.callbacks.destination import Destinations
from services.orders.callbacks.worker import DeliveryRules, callback_worker
from services.orders.consumers import handlers
from services.orders.group_commit import order_writer
from services.orders.idempotency import forgetting_old_keys
from services.orders.partners import api as partners_api
from services.orders.programmes import api as programmes_api
from services.orders.programmes import applications_api as programme_applications_api
from services.orders.programmes import draws_api as programme_draws_api
from services.orders.series import api as series_api
from services.orders.series.worker import series_clock
from services.orders.standing import allocator_client
from services.orders.window_summaries import window_summaries
from shared.backoff import RetryPolicy
from shared.config import ServiceSettings
from shared.service import service_app
from shared.web import LOG_ROUTE_TEMPLATES


class Settings(ServiceSettings):
    http_port: int = 8082
    # What it consumes lies on no one's wait (an allocation's effects here come after the
    # allocation itself): its consumer lingers longer, for larger batches.
    consumer_linger_ms: float = Field(default=100.0, ge=0, le=1000)
    # Its relay is the first stage after the POSTs, where each order still comes alone: it
    # lingers the longest of the stages on the way to an allocation, so the orders go down that
    # way together (one order.placed message for several), and the allocator after it need
    # hardly linger (shared/config.py).
    outbox_linger_ms: float = Field(default=30.0, ge=0, le=1000)
    # Asked where an order stands in the queue, which the allocator owns.
    allocator_url: str = "http://localhost:8083"
    # A retried POST gets its first answer back for at least this long.
    idempotency_retention_hours: int = Field(default=24, ge=24)
    # How often closed order windows are looked for, to summarise each once for the operators.
    window_summary_seconds: float = Field(default=30.0, gt=0)

    # Status callbacks to partners (services/orders/callbacks/worker.py): a partner that does not
    # answer 2xx within the timeout is tried again after a jittered wait that doubles from the
    # first retry up to the max, until give-up after the change (or the partner's replay).
    callback_timeout_seconds: float = Field(default=10.0, gt=0)
    callback_first_retry_seconds: float = Field(default=5.0, gt=0)
    callback_max_retry_seconds: float = Field(default=3600.0, gt=0)
    callback_give_up_seconds: float = Field(default=86400.0, gt=0)
    # Retries come due without a notification; the worker looks for them this often.
    callback_poll_seconds: float = Field(default=1.0, gt=0)
    callback_in_flight: int = Field(default=32, ge=1)
    callback_in_flight_per_partner: int = Field(default=4, ge=1)
    # Callbacks go over https to public addresses only (callbacks/destination.py). Plain http
    # only where the operator allows it; private networks (JSON, '["127.0.0.2/32"]') only for
    # tests and local development: UNSAFE in production, where it opens the hub's own network
    # to whoever names a callback_url.
    callback_allow_http: bool = False
    callback_unsafe_private_networks: list[IPvAnyNetwork] = []

    # Standing orders (services/orders/series/): due occurrences are looked for this often.
    standing_orders_tick_seconds: float = Field(default=15.0, gt=0)
    # TESTS ONLY: while this file exists, standing orders take the instant written in it
    # (ISO 8601) as now, so a test walks a month of days in seconds. Never set in production.
    standing_orders_clock_file: Path | None = None

    # Free-mask programmes (services/orders/programmes/): a citizen's NIK is kept only as its
    # HMAC-SHA256 with this key (at least 32 characters). Unset, citizens' applications are
    # refused (503); set it, and never change it, wherever a programme takes them.
    nik_hash_key: SecretStr | None = Field(default=None, min_length=32)

    def callback_destinations(self) -> Destinations:
        return Destinations(
            allow_http=self.callback_allow_http,
            unsafe_private_networks=tuple(self.callback_unsafe_private_networks),
        )


def create_app(settings: Settings) -> web.Application:
    callback_rules = DeliveryRules(
        retry=RetryPolicy(
            first_retry_seconds=settings.callback_first_retry_seconds,
            max_retry_seconds=settings.callback_max_retry_seconds,
            give_up_seconds=settings.callback_give_up_seconds,
        ),
        timeout_seconds=settings.callback_timeout_seconds,
        in_flight=settings.callback_in_flight,
        per_partner=settings.callback_in_flight_per_partner,
        destinations=settings.callback_destinations(),
    )
    app = service_app(
        settings,
        service="orders",
        migrations=Path(__file__).parent / "migrations",
        routes=[
            *orders.routes,
            *batch.routes,
            *codes.routes,
            *lookup.routes,
            *windows.routes,
            *partners_api.routes,
            *callbacks_api.routes,
            *series_api.routes,
            *programmes_api.routes,
            *programme_applications_api.routes,
            *programme_draws_api.routes,
        ],
        handlers=handlers,
        extra_contexts=[
            order_writer,
            allocator_client(settings.allocator_url, settings.operator_token),
            forgetting_old_keys(settings.idempotency_retention_hours),
            window_summaries(settings.window_summary_seconds),
            callback_worker(settings.database_url, callback_rules, settings.callback_poll_seconds),
            series_clock(
                settings.standing_orders_tick_seconds, settings.standing_orders_clock_file
            ),
        ],
    )
    app[LOG_ROUTE_TEMPLATES] = codes.SECRET_ROUTES
    return app
