"""One attempt at one status callback: the body, its signature, the POST, and what came of it.

What the partner reads of a failure (`last_error`) says what it can act on and no more: the
status its server answered, that its URL is not allowed, or that its server could not be
reached, never whether the connection was refused, reset or timed out: told apart, those would
make our callbacks a port scanner of whatever the URL names. Our log has the detail.
"""

import time
from dataclasses import dataclass

import aiohttp
import asyncpg
import structlog

from services.orders.callbacks.destination import DestinationRefused, Destinations
from services.orders.callbacks.models import StatusChanged
from services.orders.callbacks.signatures import SIGNATURE_HEADER, signature_header
from shared.web import CORRELATION_HEADER

log = structlog.get_logger(__name__)

COULD_NOT_CONNECT = "could not connect, or no answer in time"


@dataclass(frozen=True)
class Outcome:
    status: int | None  # the partner's HTTP status, if it answered
    error: str | None  # None: delivered (a 2xx)


async def post_callback(
    session: aiohttp.ClientSession, claimed: asyncpg.Record, destinations: Destinations
) -> Outcome:
    """POST a claimed callback (a row of callbacks.CLAIM) to its partner, signed now. `session`
    is a `callback_session`, whose resolver refuses what `destinations` do not allow."""
    if claimed["callback_url"] is None:  # removed since the change was recorded
        return Outcome(None, "partner has no callback_url")
    try:
        destinations.check_url(claimed["callback_url"])  # the rules may be stricter since
    except DestinationRefused as refused:
        return Outcome(None, _not_allowed(refused))
    body = StatusChanged(
        id=claimed["id"],
        created_at=claimed["created_at"],
        previous_status=claimed["previous_status"],
        order=claimed["order_snapshot"],
    )
    raw = body.model_dump_json().encode()
    headers = {
        "Content-Type": "application/json",
        # Signed per attempt, so a retry hours later still passes the partner's time check.
        SIGNATURE_HEADER: signature_header(claimed["callback_secret"], raw, int(time.time())),
        CORRELATION_HEADER: str(claimed["id"]),
    }
    try:
        # A redirect is not an answer: following one could post the order elsewhere.
        async with session.post(
            claimed["callback_url"], data=raw, headers=headers, allow_redirects=False
        ) as response:
            if 200 <= response.status < 300:
                return Outcome(response.status, None)
            return Outcome(response.status, f"delivery failed (status {response.status})")
    except (aiohttp.ClientError, TimeoutError) as error:
        cause = getattr(error, "os_error", None)
        if isinstance(cause, DestinationRefused):  # by the resolver: the name's addresses
            return Outcome(None, _not_allowed(cause))
        # Ours to know: refused, reset, timed out. Never the URL: it may carry the partner's token.
        log.info("callback not delivered", error=type(error).__name__, cause=repr(cause))
        return Outcome(None, COULD_NOT_CONNECT)


def _not_allowed(refused: DestinationRefused) -> str:
    return f"callback_url not allowed: it {refused.reason.english}"
