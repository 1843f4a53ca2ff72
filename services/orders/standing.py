"""Where an order stands in the queue, as the allocator (which owns the queue) says.

Asked over HTTP when a buyer reads the order. The allocator being down, slow or failing must not
hide the order itself: the answer then says the standing cannot be shown yet, and we log it.
"""

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import structlog
from aiohttp import web
from pydantic import SecretStr, ValidationError

from services.orders.models import ExplanationLine, Order, Standing

log = structlog.get_logger(__name__)

# A buyer waits for the order page; a slow allocator should cost them seconds at most.
TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class AllocatorClient:
    session: aiohttp.ClientSession
    base_url: str
    # The allocator shows an order's standing only to operators: this service asks as one.
    headers: dict[str, str]

    async def standing(self, order: Order) -> Standing:
        """The order's standing, or a line saying why it cannot be given."""
        url = f"{self.base_url.rstrip('/')}/v1/orders/{order.id}/standing"
        try:
            async with self.session.get(url, headers=self.headers) as response:
                body = await response.json(content_type=None) if response.ok else None
                return read_answer(order, response.status, body)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            return unavailable(order.id, repr(error))


ALLOCATOR = web.AppKey("allocator", AllocatorClient)


def allocator_client(
    base_url: str, operator_token: SecretStr | None
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context: one HTTP session to the allocator for the app's lifetime."""
    token = operator_token.get_secret_value() if operator_token else ""
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def context(app: web.Application) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            app[ALLOCATOR] = AllocatorClient(session, base_url, headers)
            yield

    return context


def read_answer(order: Order, status: int, body: Any) -> Standing:
    """The allocator's answer (status and JSON body) as the order's standing."""
    if status == 404:  # it has not taken the order.placed event into the queue yet
        return Standing(explanation=[_received(order)])
    if status != 200:
        return unavailable(order.id, f"allocator answered {status}")
    try:
        # Read as a tolerant reader: the fields we do not show (hub, state, ...) are ignored.
        return Standing.model_validate(body)
    except ValidationError as error:
        return unavailable(order.id, f"unreadable answer: {error.error_count()} errors")


def unavailable(order_id: uuid.UUID, reason: str) -> Standing:
    # Only the order id and what went wrong: never the buyer, whose phone is personal data.
    log.warning("queue standing unavailable", order_id=str(order_id), reason=reason)
    return Standing(
        explanation=[
            ExplanationLine(
                rule="unavailable",
                at=datetime.now(UTC),
                id="Untuk sementara posisi antrean belum dapat ditampilkan; pesanan tetap tercatat",
                en="The queue position cannot be shown just now; the order is still recorded",
            )
        ]
    )


def _received(order: Order) -> ExplanationLine:
    return ExplanationLine(
        rule="received",
        quantity=order.quantity,
        at=order.placed_at,
        id="Pesanan diterima dan sedang dimasukkan ke antrean",
        en="Order received; it is being placed in the queue",
    )
