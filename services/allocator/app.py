"""The allocator's wiring."""

from datetime import timedelta
from pathlib import Path

from aiohttp import web
from pydantic import Field

from services.allocator.clock import clock_context
from services.allocator.consumers import handlers
from services.allocator.http import day_api, lot_api, policy_api, queue_api, standing_api
from services.allocator.http.queue_metrics import read_queue
from services.allocator.store.allocations import FORGET_BUYER_DAYS
from shared.config import ServiceSettings
from shared.pruning import Retention
from shared.service import service_app


class Settings(ServiceSettings):
    http_port: int = 8083
    # Its orders come already together, several to a message, from the orders' relay, which
    # lingers for them: its own consumer and relay wait only a little more (shared/config.py).
    outbox_linger_ms: float = Field(default=5.0, ge=0, le=1000)
    consumer_linger_ms: float = Field(default=5.0, ge=0, le=1000)
    # How often the clock looks for holds that ran out and days that ended.
    clock_seconds: float = Field(default=5.0, gt=0)
    # The units each buyer took each day (for the daily cap) are kept this long.
    buyer_days_retention: timedelta = Field(default=timedelta(days=14), ge=timedelta(days=2))


def create_app(settings: Settings) -> web.Application:
    return service_app(
        settings,
        service="allocator",
        migrations=Path(__file__).parent / "migrations",
        routes=[
            *queue_api.routes,
            *day_api.routes,
            *lot_api.routes,
            *policy_api.routes,
            *standing_api.routes,
        ],
        handlers=handlers,
        kept=[Retention("buyer_days", FORGET_BUYER_DAYS, settings.buyer_days_retention)],
        extra_contexts=[clock_context(settings.clock_seconds)],
        readings=[read_queue],
    )
