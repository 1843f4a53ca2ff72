"""Orders as the tracking pages show them, read through the orders API and kept for a few
seconds: an order's page shared in a family chat and opened by everyone at once costs the orders
service (and the site's partner rate) one read, not one per visitor. Visitors who come while a
read is under way wait for it. Bounded: the least recently read orders are forgotten first.

Any order's code opens it, the counter's and partners' orders too: the site's key may track
every order (scope `orders:track`) and reads one by its code. An order placed here is also read
by its id ("my orders"), and so is one whose code this site drew itself, before codes were the
orders service's (migration 0002).
"""

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from services.storefront.backends import BackendError, Backends
from services.storefront.recent import Recent
from services.storefront.store import tracking
from shared.order_codes import shown

MOST_KEPT = 10_000
SURE_AFTER = timedelta(minutes=1)


class OrderReads:
    def __init__(self, backends: Backends, keep_seconds: float):
        self._backends = backends
        self._keep_seconds = keep_seconds
        # By the path it was read at: an order's id, or its code.
        self._kept: Recent[str, tuple[float, dict]] = Recent(MOST_KEPT)
        self._reading: dict[str, asyncio.Task] = {}
        self._drawn_here: Recent[str, uuid.UUID] = Recent(MOST_KEPT)
        self._placed_here: Recent[str, bool] = Recent(MOST_KEPT)

    async def placed_here(self, pool: asyncpg.Pool, order: dict) -> bool:
        """Whether this site placed the order (so it may cancel it). Kept once sure: the site
        records an order the moment the orders service answers, so a "no" is final once the
        order is a minute old (a link in a message may come a moment before the record)."""
        known = self._placed_here.get(order["id"])
        if known is None:
            known = await tracking.placed_here(pool, uuid.UUID(order["id"]))
            placed_at = datetime.fromisoformat(order["placed_at"])
            if known or datetime.now(UTC) - placed_at > SURE_AFTER:
                self._placed_here[order["id"]] = known
        return known

    async def of_code(self, pool: asyncpg.Pool, code: str, *, fresh: bool = False) -> dict | None:
        """The order of a code (as kept), as `order` reads it; None when no order has it (an
        unknown code is asked each time: it may be placed a moment later)."""
        order_id = self._drawn_here.get(code)
        if order_id is not None:
            return await self.order(order_id, fresh=fresh)
        try:
            return await self._read(f"/v1/order-codes/{shown(code)}", fresh)
        except BackendError as error:
            if error.status != 404:
                raise
        order_id = await tracking.order_of_code_drawn_here(pool, code)
        if order_id is None:
            return None
        self._drawn_here[code] = order_id  # a code never changes its order
        return await self.order(order_id, fresh=fresh)

    async def order(self, order_id: uuid.UUID, *, fresh: bool = False) -> dict:
        """An order placed here, as the orders API answers it; `fresh` reads it again whatever
        is kept (the page right after the buyer changed it)."""
        return await self._read(f"/v1/orders/{order_id}", fresh)

    async def _read(self, path: str, fresh: bool) -> dict:
        kept = self._kept.get(path)
        if kept is not None and not fresh and time.monotonic() - kept[0] < self._keep_seconds:
            return kept[1]
        task = self._reading.get(path)
        if task is None or fresh:
            task = asyncio.create_task(self._asked(path))
            self._reading[path] = task
            task.add_done_callback(lambda _: self._reading.pop(path, None))
        # Shielded: a visitor who leaves does not cancel the read the others wait for.
        return await asyncio.shield(task)

    async def _asked(self, path: str) -> dict:
        order = await self._backends.get("orders", path)
        self._kept[path] = (time.monotonic(), order)
        return order
