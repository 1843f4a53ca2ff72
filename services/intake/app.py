"""Intake's wiring."""

from pathlib import Path

from aiohttp import web
from pydantic import Field

from services.intake import api
from services.intake.consumers import handlers
from shared.config import ServiceSettings
from shared.service import service_app


class Settings(ServiceSettings):
    http_port: int = 8081
    # What it consumes lies on no one's wait (an allocation's effects here come after the
    # allocation itself): its consumer lingers longer, for larger batches. Its relay does not.
    consumer_linger_ms: float = Field(default=100.0, ge=0, le=1000)


def create_app(settings: Settings) -> web.Application:
    return service_app(
        settings,
        service="intake",
        migrations=Path(__file__).parent / "migrations",
        routes=api.routes,
        handlers=handlers,
    )
