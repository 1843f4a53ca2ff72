"""One attempt at one status callback: the body, its signature, the POST, and what came of it."""

import time
from dataclasses import dataclass

import aiohttp
import asyncpg

from services.orders.callback_models import StatusChanged
from services.orders.signatures import SIGNATURE_HEADER, signature_header
from shared.web import CORRELATION_HEADER


@dataclass(frozen=True)
class Outcome:
    status: int | None  # the partner's HTTP status, if it answered
    error: str | None  # None: delivered (a 2xx)


async def post_callback(session: aiohttp.ClientSession, claimed: asyncpg.Record) -> Outcome:
    """POST a claimed callback (a row of callbacks.CLAIM) to its partner, signed now."""
    if claimed["callback_url"] is None:  # removed since the change was recorded
        return Outcome(None, "partner has no callback_url")
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
            accepted = 200 <= response.status < 300
            return Outcome(response.status, None if accepted else f"HTTP {response.status}")
    except (aiohttp.ClientError, TimeoutError) as error:
        return Outcome(None, describe(error))


def describe(error: Exception) -> str:
    """An error as a line for the record: no URL, which may carry the partner's own token."""
    if isinstance(error, TimeoutError):
        return "timed out"
    cause = getattr(error, "os_error", None)  # refused, unreachable, no such host
    if isinstance(cause, OSError) and cause.strerror:
        return f"cannot connect: {cause.strerror}"
    return type(error).__name__
