"""Orders as the tracking pages show them, read through the orders API and kept for a few
seconds: an order's page shared in a family chat and opened by everyone at once costs the orders
service (and the site's partner rate) one read, not one per visitor. Visitors who come while a
read is under way wait for it. Bounded: the least recently read orders are forgotten first.
"""

import asyncio
import time
import uuid
from collections import OrderedDict

import asyncpg

from services.storefront import store
from services.storefront.backends import Backends

MOST_KEPT = 10_000


class OrderReads:
    def __init__(self, backends: Backends, keep_seconds: float):
        self._backends = backends
        self._keep_seconds = keep_seconds
        self._kept: OrderedDict[uuid.UUID, tuple[float, dict]] = OrderedDict()
        self._reading: dict[uuid.UUID, asyncio.Task] = {}
        self._ids: OrderedDict[str, uuid.UUID] = OrderedDict()

    async def id_of_code(self, pool: asyncpg.Pool, code: str) -> uuid.UUID | None:
        """The order a tracking code stands for. A code never changes its order, so a known
        one is kept (an unknown one is asked each time: it may be placed a moment later)."""
        order_id = self._ids.get(code)
        if order_id is None:
            order_id = await pool.fetchval(store.ORDER_OF_CODE, code)
            if order_id is None:
                return None
            self._ids[code] = order_id
            while len(self._ids) > MOST_KEPT:
                self._ids.popitem(last=False)
        self._ids.move_to_end(code)
        return order_id

    async def order(self, order_id: uuid.UUID, *, fresh: bool = False) -> dict:
        """The order as the orders API answers it; `fresh` reads it again whatever is kept
        (the page right after the buyer changed it)."""
        kept = self._kept.get(order_id)
        if kept is not None and not fresh and time.monotonic() - kept[0] < self._keep_seconds:
            self._kept.move_to_end(order_id)
            return kept[1]
        task = self._reading.get(order_id)
        if task is None or fresh:
            task = asyncio.create_task(self._read(order_id))
            self._reading[order_id] = task
            task.add_done_callback(lambda _: self._reading.pop(order_id, None))
        # Shielded: a visitor who leaves does not cancel the read the others wait for.
        return await asyncio.shield(task)

    async def _read(self, order_id: uuid.UUID) -> dict:
        order = await self._backends.get("orders", f"/v1/orders/{order_id}")
        self._kept[order_id] = (time.monotonic(), order)
        self._kept.move_to_end(order_id)
        while len(self._kept) > MOST_KEPT:
            self._kept.popitem(last=False)
        return order
