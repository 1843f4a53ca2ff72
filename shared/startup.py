"""Waiting for a dependency that is still starting (docker compose starts things together)."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
import structlog

log = structlog.get_logger(__name__)

T = TypeVar("T")

# Errors that mean "not up yet", as opposed to "misconfigured" (a wrong password stays wrong).
NOT_UP_YET = (OSError, asyncio.TimeoutError, asyncpg.CannotConnectNowError)


async def keep_trying(
    attempt: Callable[[], Awaitable[T]],
    *,
    what: str,
    timeout: float,
    first_delay: float = 0.2,
    max_delay: float = 5.0,
) -> T:
    """Call `attempt` until it succeeds, backing off; after `timeout` seconds, raise its error."""
    deadline = time.monotonic() + timeout
    delay = first_delay
    while True:
        try:
            return await attempt()
        except NOT_UP_YET as error:
            if time.monotonic() + delay > deadline:
                raise
            log.warning("waiting for dependency", dependency=what, error=str(error), retry_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay)
