"""Telling those who signed up (pages/window_signup.py) that a product's pre-order window opened
again: every few seconds, for each product someone waits for, the orders API's catalog says
whether its window takes orders now; if it does, the waiting sign-ups are marked told and each
is sent through the notifier (POST /v1/window-notices), once.

The site has no broker, and the orders API already says each product's window in its catalog
(which the site reads for its pages): a look every few seconds at the few products with
someone waiting is simpler than a new event and consumer, and as sound. Each sign-up is held
(row lock, so two watchers never both take it), sent with its own id as the notice's (the
notifier records a notice asked twice once), and marked told in the same transaction: a
crash before the mark sends it again at a later look, as the same message, and one the
notifier could not take waits for a later look too.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import asyncpg
import structlog
from aiohttp import web

from services.storefront.backends import BACKENDS, BackendError, Backends
from services.storefront.figures import Figures
from services.storefront.pages.common import FIGURES
from services.storefront.store import window_signups
from shared.problems import Text
from shared.web import DATABASE

log = structlog.get_logger(__name__)
# A sign-up asks no name: the message greets the buyer as the "my orders" code does.
BUYER = Text("Pembeli", "Buyer")


async def tell_the_waiting(pool: asyncpg.Pool, backends: Backends, figures: Figures) -> int:
    """One look: how many sign-ups were told. Only the hubs someone waits in are asked about
    (their catalog, and their name from the figures' cache): a look costs nothing while no one
    waits, and never spends the site's key on hubs it does not serve."""
    async with pool.acquire() as conn:
        waiting = await window_signups.waiting(conn)
    told = 0
    for hub in sorted({hub for hub, _ in waiting}):
        try:
            catalog = await backends.get("orders", f"/v1/hubs/{hub}/products")
        except BackendError as error:
            log.warning("window watch: catalog unavailable", hub=hub, status=error.status)
            continue
        opened = [
            entry
            for entry in catalog["products"]
            if (hub, entry["sku"]) in waiting
            and entry.get("window") is not None
            and entry["window"]["status"] == "open"
        ]
        if not opened:
            continue
        about = await figures.hub(hub)
        for entry in opened:
            told += await _tell(pool, backends, hub, entry, about.name if about else hub)
    return told


async def _tell(pool: asyncpg.Pool, backends: Backends, hub: str, entry: dict, hub_name: str):
    told = 0
    async with pool.acquire() as conn:
        while True:
            try:
                async with conn.transaction():
                    signup = await window_signups.take(conn, hub, entry["sku"])
                    if signup is None:
                        break
                    body = {
                        "id": str(signup["id"]),
                        "hub": hub,
                        "hub_name": hub_name,
                        "phone": signup["phone"],
                        "name": BUYER.in_language(signup["language"]),
                        "product": entry["name"],
                        "language": signup["language"],
                    }
                    await backends.post("notifier", "/v1/window-notices", body=body)
                    await window_signups.told(conn, signup["id"])
                    told += 1
            except BackendError as error:
                # The rest wait for a later look, when the notifier may take them.
                log.warning(
                    "window notice not taken", signup_id=str(signup["id"]), status=error.status
                )
                break
    # Counts only: the phones are personal data.
    log.info("window opened: sign-ups told", hub=hub, sku=entry["sku"], told=told)
    return told


def window_watch(every_seconds: float) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context: the watcher, for the app's lifetime."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        async def watch() -> None:
            while True:
                await asyncio.sleep(every_seconds)
                try:
                    await tell_the_waiting(app[DATABASE], app[BACKENDS], app[FIGURES])
                except (BackendError, OSError, asyncpg.PostgresError) as error:
                    log.warning("window watch failed", error=repr(error))

        task = asyncio.create_task(watch())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context
