"""Intake's wiring."""

from pathlib import Path

from aiohttp import web

from services.intake import api
from services.intake.consumers import handlers
from shared.config import ServiceSettings
from shared.service import service_app


class Settings(ServiceSettings):
    http_port: int = 8081


def create_app(settings: Settings) -> web.Application:
    return service_app(
        settings,
        service="intake",
        migrations=Path(__file__).parent / "migrations",
        routes=api.routes,
        handlers=handlers,
    )
