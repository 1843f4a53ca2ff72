"""The allocator's wiring."""

from pathlib import Path

from aiohttp import web

from services.allocator.api import routes
from services.allocator.consumers import handlers
from shared.config import ServiceSettings
from shared.service import service_app


class Settings(ServiceSettings):
    http_port: int = 8083


def create_app(settings: Settings) -> web.Application:
    return service_app(
        settings,
        service="allocator",
        migrations=Path(__file__).parent / "migrations",
        routes=routes,
        handlers=handlers,
    )
