"""Telling those who signed up (pages/window_signup.py) that a product's pre-order window opened
again: every few seconds, for each product someone waits for, the orders API's catalog says
whether its window takes orders now; if it does, the waiting sign-ups are marked told and each
is sent through the notifier (POST /v1/window-notices), once.

The site has no broker, and the orders API already says each product's window in its catalog
(which the site reads for its pages): a look every few seconds at the few products with
someone waiting is simpler than a new event and consumer, and as sound. A sign-up is marked
before it is sent, so two watchers never both tell it; one the notifier could not take is
unmarked, and told at a later look.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import asyncpg
import structlog
from aiohttp import web

from services.storefront.backends import BACKENDS, BackendError, Backends
from services.storefront.pages.common import FIGURES
from services.storefront.store import window_signups
from shared.problems import Text
from shared.web import DATABASE

log = structlog.get_logger(__name__)
# A sign-up asks no name: the message greets the buyer as the "my orders" code does.
BUYER = Text("Pembeli", "Buyer")


async def tell_the_waiting(pool: asyncpg.Pool, backends: Backends, hub_names: dict) -> int:
    """One look: how many sign-ups were told."""
    async with pool.acquire() as conn:
        waiting = await window_signups.waiting(conn)
    told = 0
    for hub in sorted({hub for hub, _ in waiting}):
        try:
            catalog = await backends.get("orders", f"/v1/hubs/{hub}/products")
        except BackendError as error:
            log.warning("window watch: catalog unavailable", hub=hub, status=error.status)
            continue
        for entry in catalog["products"]:
            window = entry.get("window")
            if (hub, entry["sku"]) not in waiting or window is None or window["status"] != "open":
                continue
            told += await _tell(pool, backends, hub, entry, hub_names.get(hub, hub))
    return told


async def _tell(pool: asyncpg.Pool, backends: Backends, hub: str, entry: dict, hub_name: str):
    async with pool.acquire() as conn:
        claimed = await window_signups.claim(conn, hub, entry["sku"])
        told = 0
        for signup in claimed:
            body = {
                "hub": hub,
                "hub_name": hub_name,
                "phone": signup["phone"],
                "name": BUYER.in_language(signup["language"]),
                "product": entry["name"],
                "language": signup["language"],
            }
            try:
                await backends.post("notifier", "/v1/window-notices", body=body)
                told += 1
            except BackendError as error:
                await window_signups.unclaim(conn, signup["id"])
                log.warning(
                    "window notice not taken", signup_id=str(signup["id"]), status=error.status
                )
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
                    names = {h.code: h.name for h in await app[FIGURES].all()}
                    await tell_the_waiting(app[DATABASE], app[BACKENDS], names)
                except (BackendError, OSError, asyncpg.PostgresError) as error:
                    log.warning("window watch failed", error=repr(error))

        task = asyncio.create_task(watch())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context
