"""The shape every service shares: settings -> logging -> an aiohttp app whose cleanup contexts
open the database (with migrations), the broker, the outbox relay and the event consumer, and
close them in reverse order on shutdown; every request timed, and `GET /metrics` for Prometheus.
"""

from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path

from aiohttp import web

from shared import apidocs, health, scrape
from shared.bus import open_broker
from shared.config import ServiceSettings
from shared.consumer import Consumer, EventHandlers
from shared.db import open_database, service_migrations
from shared.guesses import GUESSES, Guesses
from shared.logging import configure_logging
from shared.outbox import OutboxRelay, outbox_channel
from shared.pruning import INBOX, Retention, pruning
from shared.scrape import READINGS, Reading, read_outbox
from shared.web import (
    BROKER,
    DATABASE,
    MAX_BODY_BYTES,
    SERVICE,
    SETTINGS,
    correlation_middleware,
    problem_middleware,
    timing_middleware,
)
from shared.worker import Doorbell, draining

CleanupContext = Callable[[web.Application], AsyncIterator[None]]
# The relay's doorbell: a transaction of this process that stored events rings it after its
# commit, instead of a NOTIFY (which wakes every listener, in every process, each commit).
RELAY_DOORBELL = web.AppKey("relay_doorbell", Doorbell)

# aiohttp refuses a request line over 8 KiB with a bare text/plain 400 before any handler sees
# it: a page of order ids in a query (`GET /v1/orders?id=...`, 40 bytes each) can pass that.
# 64 KiB leaves room for any list an API accepts, and more, so it is refused as documented (422).
MAX_REQUEST_LINE = 64 * 1024


def service_app(
    settings: ServiceSettings,
    *,
    service: str,
    migrations: Path,
    routes: Iterable[web.RouteDef],
    handlers: EventHandlers | None = None,
    extra_contexts: Iterable[CleanupContext] = (),
    readings: Iterable[Reading] = (),
    kept: Iterable[Retention] = (),
) -> web.Application:
    """An app with the service's routes and their API document, its schema migrated, its relay
    and consumer running; `readings` add the service's own figures to its outbox's at /metrics;
    its inbox and the rows it names in `kept` are pruned past their retention."""
    app = web.Application(
        client_max_size=MAX_BODY_BYTES,
        # Timing outermost: it sees the status the client gets, problems included.
        middlewares=[timing_middleware, correlation_middleware, problem_middleware],
    )
    app[SERVICE] = service
    app[SETTINGS] = settings
    app[GUESSES] = Guesses.of(settings)
    app[READINGS] = (read_outbox, *readings)

    async def database(app: web.Application) -> AsyncIterator[None]:
        async for pool in open_database(
            settings.database_url,
            service,
            service_migrations(migrations),
            timeout=settings.startup_timeout_seconds,
        ):
            app[DATABASE] = pool
            yield

    async def broker(app: web.Application) -> AsyncIterator[None]:
        async for connected in open_broker(
            settings.amqp_url,
            service,
            timeout=settings.startup_timeout_seconds,
            topology=settings.amqp_topology,
        ):
            app[BROKER] = connected
            yield

    async def relay(app: web.Application) -> AsyncIterator[None]:
        outbox_relay = OutboxRelay(
            service=service,
            pool=app[DATABASE],
            broker=app[BROKER],
            batch_size=settings.outbox_batch_size,
        )
        async with draining(
            outbox_relay.publish_batch,
            database_url=settings.database_url,
            channel=outbox_channel(service),
            poll_seconds=settings.outbox_poll_seconds,
            batch_size=settings.outbox_batch_size,
            name="outbox relay",
            linger_seconds=settings.outbox_linger_ms / 1000,
        ) as doorbell:
            app[RELAY_DOORBELL] = doorbell
            yield

    async def consumer(app: web.Application) -> AsyncIterator[None]:
        event_consumer = Consumer(
            service=service,
            pool=app[DATABASE],
            broker=app[BROKER],
            handlers=handlers,
            prefetch_count=settings.prefetch_count,
            batch_size=settings.consumer_batch_size,
            linger_seconds=settings.consumer_linger_ms / 1000,
            member_heartbeat_seconds=settings.member_heartbeat_seconds,
        )
        await event_consumer.start()
        yield
        await event_consumer.stop()

    old_rows = pruning(
        service,
        (Retention("inbox", INBOX, settings.inbox_retention), *kept),
        every_seconds=settings.prune_every_seconds,
        batch_rows=settings.prune_batch_rows,
    )
    app.cleanup_ctx.extend([database, broker, relay, old_rows])
    if handlers:
        app.cleanup_ctx.append(consumer)
    app.cleanup_ctx.extend(extra_contexts)
    app.router.add_routes([*health.routes, *scrape.routes, *apidocs.routes, *routes])
    apidocs.publish(app, service)
    return app


def run(
    service: str,
    settings: ServiceSettings,
    create_app: Callable[[ServiceSettings], web.Application],
) -> None:
    """`python -m services.<name>`: configure logging, serve until SIGTERM or SIGINT."""
    configure_logging(service, settings.log_format, settings.log_level)
    web.run_app(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        access_log=None,  # the correlation middleware logs each request, with its id
        print=None,
        shutdown_timeout=10,
        max_line_size=MAX_REQUEST_LINE,
    )
