"""Settings read from the environment, one way for every service.

Defaults point at a developer's own machine, so a bare `python -m services.<name>` works there;
docker compose and the tests set the environment instead.
"""

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator
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
    # "all": the service declares the whole topology at start, so an event published before its
    # consumer first starts has a queue (an admin-like user: tests, a developer's guest).
    # "own": only its own queues, as its own broker user may (shared/access.py); the
    # administrators' step (tools/access.py) declared the whole before. Compose and k8s: own.
    amqp_topology: Literal["all", "own"] = "all"
    http_host: str = "0.0.0.0"
    http_port: int = Field(ge=1, le=65535)
    log_format: Literal["json", "console"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # The centre's operators prove who they are with a token per role: `operator_token` is the
    # admin's (it may do everything), staff may change orders, producers and policies, viewers
    # only read. Unset, that role has no token and cannot act; with none set, no operator can.
    operator_token: SecretStr | None = None
    operator_staff_token: SecretStr | None = None
    operator_viewer_token: SecretStr | None = None
    # Addresses (or networks, comma-separated) of the reverse proxies in front of the service:
    # only from them is X-Forwarded-For believed, to tell who guesses passwords, tokens or keys.
    trusted_proxies: str = ""
    # A source past its free wrong tokens or keys first waits this long, then twice as long
    # after each further one (shared/guesses.py).
    guess_free_failures: int = Field(default=10, ge=0)
    guess_delay_seconds: float = Field(default=1.0, gt=0)
    # The scraper sends it as `Authorization: Bearer ...` to GET /metrics. Unset, a service's
    # metrics are open to whoever reaches its port, unless it requires the token (the console).
    metrics_token: SecretStr | None = None
    metrics_require_token: bool = False

    # Consumers take this many unacked messages at once, and handle up to `consumer_batch_size`
    # of them in one transaction; the relay publishes up to `outbox_batch_size` per batch.
    prefetch_count: int = Field(default=512, ge=1)
    consumer_batch_size: int = Field(default=250, ge=1)
    outbox_batch_size: int = Field(default=200, ge=1)
    # The relay is woken by NOTIFY; polling is the fallback for a missed notification.
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    # Background stages wait this long for more work to join the first before they start, so
    # at a low rate several events share one transaction and one message rather than paying
    # each alone; a full batch never waits. 0: off. The relays (and the notifier's router)
    # linger after a commit rings, the consumers after a batch's first message.
    # Nothing is acked or published before its commit: a linger delays work, never loses it.
    # The lingers on the way to an allocation add up (the orders' relay, the allocator's
    # consumer and relay; an order has a quarter second to its allocation at p99): the first stage
    # lingers most (30 ms, services/orders/app.py), as a batch formed there stays one down the
    # way, and the allocator's stages, fed batches, little (5 ms); stages no one waits on
    # longer (the notifier's consumer 90, intake's and orders' 100). Measured in bench/README.md.
    outbox_linger_ms: float = Field(default=10.0, ge=0, le=1000)
    consumer_linger_ms: float = Field(default=10.0, ge=0, le=1000)
    # A partitioned consumer (the allocator's) beats this often in its members' table; a replica
    # silent for three beats is no longer given partitions (shared/partitioned.py).
    member_heartbeat_seconds: float = Field(default=2.0, gt=0, le=60)
    # Old rows are deleted this often (shared/pruning.py), at most `prune_batch_rows` in one
    # transaction. An event's id stays in the inbox `inbox_retention` (ISO 8601: P30D), longer
    # than any redelivery or dead-letter replay, or a late copy would be handled again.
    prune_every_seconds: float = Field(default=3600.0, gt=0)
    prune_batch_rows: int = Field(default=5000, ge=1)
    inbox_retention: timedelta = Field(default=timedelta(days=30), gt=timedelta(0))
    # How long start-up waits for Postgres and RabbitMQ before giving up.
    startup_timeout_seconds: float = Field(default=60.0, gt=0)
    # Where partners reach each service's API: the `servers` of the API documents. A JSON
    # object, PUBLIC_URLS='{"orders": "https://orders.plut.example", ...}'; by default the
    # ports the README and compose give each service on this machine.
    public_urls: dict[str, PublicUrl] = Field(default_factory=lambda: dict(LOCAL_URLS))

    @model_validator(mode="after")
    def _one_token_per_role(self) -> "ServiceSettings":
        """The same secret for two roles would give the lower one the higher one's rights."""
        given = [t.get_secret_value() for t in self.operator_tokens().values()]
        if len(given) != len(set(given)):
            raise ValueError(
                "OPERATOR_TOKEN, OPERATOR_STAFF_TOKEN, OPERATOR_VIEWER_TOKEN must differ"
            )
        return self

    def operator_tokens(self) -> dict[str, SecretStr]:
        """The roles that have a token, by the role's name."""
        tokens = {
            "admin": self.operator_token,
            "staff": self.operator_staff_token,
            "viewer": self.operator_viewer_token,
        }
        return {role: token for role, token in tokens.items() if token and token.get_secret_value()}
