"""Settings read from the environment, one way for every service.

Defaults point at a developer's own machine, so a bare `python -m services.<name>` works there;
docker compose and the tests set the environment instead.
"""

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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
