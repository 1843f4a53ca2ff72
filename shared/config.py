"""Settings read from the environment, one way for every service.

Defaults point at a developer's own machine, so a bare `python -m services.<name>` works there;
docker compose and the tests set the environment instead.
"""

from typing import Annotated, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# An absolute http(s) URL without a trailing slash: paths are appended to it as they are.
PublicUrl = Annotated[str, Field(pattern=r"^https?://[^\s/]+(/\S*[^/])?$")]
LOCAL_URLS = {
    "intake": "http://localhost:8081",
    "orders": "http://localhost:8082",
    "allocator": "http://localhost:8083",
    "notifier": "http://localhost:8084",
}


class ServiceSettings(BaseSettings):
    """What every service needs; each service subclasses it to set its own HTTP port."""

    # An empty variable (compose's `${X:-}`) counts as unset: its default, or the feature off.
    model_config = SettingsConfigDict(extra="ignore", frozen=True, env_ignore_empty=True)

    database_url: str = "postgresql://postgres:postgres@localhost:5432/postgres"
    amqp_url: str = "amqp://guest:guest@localhost:5672/"
    http_host: str = "0.0.0.0"
    http_port: int = Field(ge=1, le=65535)
    log_format: Literal["json", "console"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # The centre's operators prove who they are with this token; unset, they cannot act.
    operator_token: SecretStr | None = None

    # Consumers take this many unacked messages at once, and handle up to `consumer_batch_size`
    # of them in one transaction; the relay publishes up to `outbox_batch_size` per batch.
    prefetch_count: int = Field(default=512, ge=1)
    consumer_batch_size: int = Field(default=250, ge=1)
    outbox_batch_size: int = Field(default=200, ge=1)
    # The relay is woken by NOTIFY; polling is the fallback for a missed notification.
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    # How long start-up waits for Postgres and RabbitMQ before giving up.
    startup_timeout_seconds: float = Field(default=60.0, gt=0)
    # Where partners reach each service's API: the `servers` of the API documents. A JSON
    # object, PUBLIC_URLS='{"orders": "https://orders.plut.example", ...}'; by default the
    # ports the README and compose give each service on this machine.
    public_urls: dict[str, PublicUrl] = Field(default_factory=lambda: dict(LOCAL_URLS))
