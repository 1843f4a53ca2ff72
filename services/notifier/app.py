"""The notifier's wiring: the shared service shape, the router that gives each message its
channel, and one sender per channel this deployment has a provider for."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from aiohttp import web
from pydantic import Field, SecretStr, StringConstraints

from services.notifier import conversations, phone_codes, window_notices
from services.notifier.api import routes
from services.notifier.channels.registry import build_channels
from services.notifier.consumers import handlers
from services.notifier.inbound import api as inbound_api
from services.notifier.inbound.statuses import StatusWorker
from services.notifier.inbound.worker import InboundWorker
from services.notifier.router import Router
from services.notifier.sender import Sender
from services.notifier.store.attempts import FORGET_ATTEMPTS
from services.notifier.store.conversations import FORGET_CONVERSATIONS
from services.notifier.store.inbound import (
    FORGET_INBOUND,
    FORGET_STATUSES,
    INBOUND_CHANNEL,
    STATUSES_CHANNEL,
)
from services.notifier.store.wakeups import ROUTER_CHANNEL, lane_channel
from shared.backoff import RetryPolicy
from shared.config import ServiceSettings
from shared.pruning import Retention
from shared.service import service_app
from shared.web import DATABASE
from shared.worker import Doorbell, background, drain_forever, draining


class Settings(ServiceSettings):
    http_port: int = 8084
    # The notifier is the end of the chain, where only the buyer's message waits (its budget is
    # a second, not the quarter second to allocation): it lingers longer, for larger batches.
    # Its consumer lingers; its router (`outbox_linger_ms`), fed the consumer's batches, little:
    # a second long linger there only joined two batches, for as long again.
    outbox_linger_ms: float = Field(default=10.0, ge=0, le=1000)
    consumer_linger_ms: float = Field(default=90.0, ge=0, le=1000)
    # Kept past their last change, then pruned: the delivery attempts of settled messages (the
    # messages stay), answered inbound messages and WhatsApp statuses, idle conversations.
    delivery_attempts_retention: timedelta = Field(default=timedelta(days=90), gt=timedelta(0))
    inbound_retention: timedelta = Field(default=timedelta(days=30), gt=timedelta(0))
    conversations_retention: timedelta = Field(default=timedelta(days=180), gt=timedelta(0))
    # WhatsApp Business Cloud API: on when the phone-number id and the token are set.
    whatsapp_base_url: str = "https://graph.facebook.com"
    whatsapp_api_version: str = "v21.0"
    whatsapp_phone_number_id: str | None = None
    whatsapp_access_token: SecretStr | None = None
    whatsapp_template_prefix: str = "plut_"
    # Meta's webhook (POST /v1/whatsapp/webhook): notifications are signed with the app's
    # secret, and refused unsigned; without it, refused altogether. The verify token is the
    # one typed into the app's dashboard beside the callback URL, for the GET handshake.
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    # The SMS gateway: on when its URL and key are set.
    sms_base_url: str | None = None
    sms_api_key: SecretStr | None = None
    sms_sender_id: str = "PLUT"
    # Infobip's inbound SMS forwarding (POST /v1/sms/inbound) with Basic auth as this user and
    # secret; without the secret, inbound SMS are refused.
    sms_inbound_user: str = "infobip"
    sms_inbound_secret: SecretStr | None = None
    # Email over SMTP: on when a host is set.
    smtp_host: str | None = "localhost"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_from: str = "PLUT Kalimantan Tengah <pesanan@plut.local>"
    provider_timeout_seconds: float = Field(default=10.0, gt=0)
    # How many messages each channel has with its provider at once. Claims and result writes
    # take a quarter of it at a time, so more in flight is fewer round trips per message.
    channel_concurrency: int = Field(default=64, ge=1)
    route_batch_size: int = Field(default=100, ge=1)
    # A provider that is down: retries double from the first to the cap, and stop (the message
    # failed) this long after the message was routed to the channel.
    message_first_retry_seconds: float = Field(default=30.0, gt=0)
    message_max_retry_seconds: float = Field(default=600.0, gt=0)
    message_give_up_seconds: float = Field(default=86_400.0, gt=0)
    # What people send is answered a few numbers at a time, each answer holding a pooled
    # connection for its transaction (the pool has ten: the webhooks, the router and the
    # senders need theirs); an answer that fails is tried again after the retry seconds
    # (doubling), and given up on after so many failures.
    inbound_batch_size: int = Field(default=32, ge=1)
    inbound_concurrency: int = Field(default=4, ge=1)
    inbound_retry_seconds: float = Field(default=5.0, gt=0)
    inbound_max_failures: int = Field(default=5, ge=1)
    # On SIGTERM, sends under way get this long to finish; the rest come back by their lease.
    shutdown_grace_seconds: float = Field(default=5.0, ge=0)
    # The buyers' site (services/storefront): buyers' messages link to their order's page on
    # it. Empty: no link (the message says to contact PLUT).
    public_site_url: Annotated[
        str, StringConstraints(pattern=r"^(https?://[^\s/?#]+(/[^\s?#]*)?)?$")
    ] = ""
    # Conversations by chat read, cancel and place orders with the notifier's own partner key
    # (`plut partner create ... --scopes orders:write,orders:read,orders:track,
    # orders:cancel-verified`: BATAL cancels the number's site orders too); unset, a chat
    # has STOP, MULAI and help but no orders. The allocator's policy read gives the daily cap.
    orders_url: str = "http://localhost:8082"
    allocator_url: str = "http://localhost:8083"
    notifier_orders_key: SecretStr | None = None
    orders_timeout_seconds: float = Field(default=10.0, gt=0)
    # A number's messages handled a minute; the rest are kept, not answered (one "slow down").
    chat_messages_per_minute: int = Field(default=10, ge=1)
    # The hubs a chat may order in, comma-separated (those the key may order in); empty: every
    # hub the notifier knows, the first ten by name (a WhatsApp list holds ten rows).
    chat_hubs: str = ""


def create_app(settings: Settings) -> web.Application:
    channels = build_channels(settings)
    retry = RetryPolicy(
        first_retry_seconds=settings.message_first_retry_seconds,
        max_retry_seconds=settings.message_max_retry_seconds,
        give_up_seconds=settings.message_give_up_seconds,
    )

    async def routing(app: web.Application) -> AsyncIterator[None]:
        router = Router(
            pool=app[DATABASE],
            configured=frozenset(channels),
            batch_size=settings.route_batch_size,
        )
        async with draining(
            router.route_batch,
            database_url=settings.database_url,
            channel=ROUTER_CHANNEL,
            poll_seconds=settings.outbox_poll_seconds,
            batch_size=settings.route_batch_size,
            name="router",
            linger_seconds=settings.outbox_linger_ms / 1000,
        ):
            yield

    async def sending(app: web.Application) -> AsyncIterator[None]:
        senders = []
        async with AsyncExitStack() as stack:
            for name, channel in channels.items():
                doorbell = Doorbell(
                    settings.database_url, lane_channel(name), settings.outbox_poll_seconds
                )
                sender = Sender(
                    pool=app[DATABASE],
                    channel=channel,
                    retry=retry,
                    concurrency=settings.channel_concurrency,
                    # Past the provider's timeout, so a live send never loses its claim.
                    lease_seconds=2 * settings.provider_timeout_seconds + 5,
                    doorbell=doorbell,
                    site=settings.public_site_url,
                )
                senders.append(sender)
                await stack.enter_async_context(
                    background(
                        drain_forever(
                            sender.send_batch,
                            doorbell=doorbell,
                            batch_size=settings.channel_concurrency,
                            name=f"sender-{name}",
                        )
                    )
                )
            yield
        # Claiming has stopped; what is under way may finish.
        await asyncio.gather(*(s.close(settings.shutdown_grace_seconds) for s in senders))

    async def answering(app: web.Application) -> AsyncIterator[None]:
        key = settings.notifier_orders_key
        async with conversations.running(
            orders_url=settings.orders_url,
            allocator_url=settings.allocator_url,
            orders_key=key.get_secret_value() if key else None,
            site=settings.public_site_url,
            most_per_minute=settings.chat_messages_per_minute,
            timeout_seconds=settings.orders_timeout_seconds,
            hubs=frozenset(filter(None, (h.strip() for h in settings.chat_hubs.split(",")))),
        ) as chat:
            worker = InboundWorker(
                pool=app[DATABASE],
                answer=chat.answer,
                batch_size=settings.inbound_batch_size,
                concurrency=settings.inbound_concurrency,
                retry_seconds=settings.inbound_retry_seconds,
                max_failures=settings.inbound_max_failures,
            )
            async with draining(
                worker.answer_batch,
                database_url=settings.database_url,
                channel=INBOUND_CHANNEL,
                poll_seconds=settings.outbox_poll_seconds,
                batch_size=settings.inbound_batch_size,
                name="inbound",
            ):
                yield

    async def reporting(app: web.Application) -> AsyncIterator[None]:
        worker = StatusWorker(pool=app[DATABASE], batch_size=settings.route_batch_size)
        async with draining(
            worker.apply_batch,
            database_url=settings.database_url,
            channel=STATUSES_CHANNEL,
            poll_seconds=settings.outbox_poll_seconds,
            batch_size=settings.route_batch_size,
            name="whatsapp statuses",
        ):
            yield

    return service_app(
        settings,
        service="notifier",
        migrations=Path(__file__).parent / "migrations",
        routes=[*routes, *phone_codes.routes, *window_notices.routes, *inbound_api.routes],
        handlers=handlers,
        kept=[
            Retention("delivery_attempts", FORGET_ATTEMPTS, settings.delivery_attempts_retention),
            Retention("inbound_messages", FORGET_INBOUND, settings.inbound_retention),
            Retention("whatsapp_statuses", FORGET_STATUSES, settings.inbound_retention),
            Retention("conversations", FORGET_CONVERSATIONS, settings.conversations_retention),
        ],
        extra_contexts=[routing, sending, answering, reporting],
    )
