"""The notifier's wiring: the shared service shape plus the dispatcher that sends mail."""

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web
from pydantic import Field

from services.notifier.api import routes
from services.notifier.consumers import handlers
from services.notifier.dispatcher import Dispatcher
from services.notifier.mailer import Mailer
from services.notifier.store import MESSAGES_CHANNEL
from shared.config import ServiceSettings
from shared.service import service_app
from shared.web import DATABASE
from shared.worker import draining


class Settings(ServiceSettings):
    http_port: int = 8084
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "PLUT Kalimantan Tengah <pesanan@plut.local>"
    dispatch_batch_size: int = Field(default=50, ge=1)


def create_app(settings: Settings) -> web.Application:
    async def dispatcher(app: web.Application) -> AsyncIterator[None]:
        mailer = Mailer(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.mail_from,
            username=settings.smtp_username,
            password=settings.smtp_password,
            start_tls=settings.smtp_starttls,
        )
        sender = Dispatcher(
            pool=app[DATABASE], mailer=mailer, batch_size=settings.dispatch_batch_size
        )
        async with draining(
            sender.dispatch_batch,
            database_url=settings.database_url,
            channel=MESSAGES_CHANNEL,
            poll_seconds=settings.outbox_poll_seconds,
            batch_size=settings.dispatch_batch_size,
            name="dispatcher",
        ):
            yield

    return service_app(
        settings,
        service="notifier",
        migrations=Path(__file__).parent / "migrations",
        routes=routes,
        handlers=handlers,
        extra_contexts=[dispatcher],
    )
