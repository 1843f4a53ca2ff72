"""The orders service's wiring."""

from pathlib import Path

from aiohttp import web
from pydantic import Field

from services.orders import api, partners_api
from services.orders.consumers import handlers
from services.orders.idempotency import forgetting_old_keys
from services.orders.standing import allocator_client
from shared.config import ServiceSettings
from shared.service import service_app


class Settings(ServiceSettings):
    http_port: int = 8082
    # Asked where an order stands in the queue, which the allocator owns.
    allocator_url: str = "http://localhost:8083"
    # A retried POST gets its first answer back for at least this long.
    idempotency_retention_hours: int = Field(default=24, ge=24)


def create_app(settings: Settings) -> web.Application:
    return service_app(
        settings,
        service="orders",
        migrations=Path(__file__).parent / "migrations",
        routes=[*api.routes, *partners_api.routes],
        handlers=handlers,
        extra_contexts=[
            allocator_client(settings.allocator_url),
            forgetting_old_keys(settings.idempotency_retention_hours),
        ],
    )
