"""`GET /metrics`: what the process counted (shared/metrics.py), and figures read from the
service's own tables as Prometheus asks, so they are as fresh as the scrape and cost nothing
between scrapes.
"""

import asyncio
import hmac
from collections.abc import Awaitable, Callable, Iterable

import asyncpg
import structlog
from aiohttp import web
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from shared.openapi import TEXT, documented
from shared.outbox import backlog
from shared.problems import Problem, Text
from shared.web import DATABASE, SERVICE, SETTINGS

log = structlog.get_logger(__name__)

# Figures a service reads from its database at each scrape: (connection, service) -> families.
Reading = Callable[[asyncpg.Connection, str], Awaitable[Iterable[Metric]]]
READINGS = web.AppKey("metric_readings", tuple)

# Past this a scrape answers without the database's figures rather than not at all.
READ_TIMEOUT_SECONDS = 2.0

routes = web.RouteTableDef()


async def read_outbox(conn: asyncpg.Connection, service: str) -> list[Metric]:
    """Every service has an outbox; a backlog that grows, or ages, means the relay is stuck."""
    count, oldest_age = await backlog(conn)
    waiting = GaugeMetricFamily(
        "plut_outbox_backlog",
        "Events in the outbox not yet published. Replicas share the table: take the max.",
        labels=["service"],
    )
    waiting.add_metric([service], count)
    age = GaugeMetricFamily(
        "plut_outbox_oldest_age_seconds",
        "Age of the oldest event in the outbox, 0 when it is empty.",
        labels=["service"],
    )
    age.add_metric([service], oldest_age)
    return [waiting, age]


class _Read(Collector):
    """The figures read for one scrape, in the form the exposition takes."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


def _require_scraper(request: web.Request) -> None:
    """With METRICS_TOKEN set, only a request bearing it; unset, anyone, unless the service
    requires the token (the console, whose port is the operators' and so the internet's)."""
    settings = request.app[SETTINGS]
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    if not token and not settings.metrics_require_token:
        return
    given = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise Problem(
            401,
            "unauthorised",
            Text("Perlu token metrik", "The metrics token is needed"),
            Text(
                "Kirim header 'Authorization: Bearer <METRICS_TOKEN>'",
                "Send the header 'Authorization: Bearer <METRICS_TOKEN>'",
            ),
            headers={"WWW-Authenticate": "Bearer"},
        )


@routes.get("/metrics")
@documented(
    operation_id="metrics",
    tag="system",
    summary=Text("Metrik layanan untuk Prometheus", "The service's metrics, for Prometheus"),
    answers={200: TEXT},
    problems=(401,),
)
async def get_metrics(request: web.Request) -> web.Response:
    _require_scraper(request)
    families: list[Metric] = []
    try:
        async with asyncio.timeout(READ_TIMEOUT_SECONDS):
            async with request.app[DATABASE].acquire() as conn:
                for read in request.app[READINGS]:
                    families.extend(await read(conn, request.app[SERVICE]))
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        # The counters still tell what happened; the missing figures tell the database is away.
        log.warning("metrics: the database's figures could not be read", error=repr(error))
    body = generate_latest(REGISTRY) + generate_latest(_Read(families))
    # The classic text format: our names need nothing newer, and every Prometheus reads it.
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})
