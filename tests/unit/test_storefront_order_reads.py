"""Orders as tracking pages show them: one read for a crowd on one order's page, kept a few
seconds, read afresh right after the buyer changed it."""

import asyncio
import uuid
from collections import Counter

from services.storefront.order_reads import OrderReads


class FakeOrders:
    def __init__(self) -> None:
        self.reads: Counter = Counter()
        self.status = "queued"

    async def get(self, service: str, path: str) -> dict:
        self.reads[path] += 1
        await asyncio.sleep(0)  # the rest of the crowd arrives meanwhile
        return {"path": path, "status": self.status}


async def test_a_crowd_on_one_orders_page_costs_one_read():
    orders, order_id = FakeOrders(), uuid.uuid4()
    reads = OrderReads(orders, keep_seconds=60)

    seen = await asyncio.gather(*(reads.order(order_id) for _ in range(100)))

    assert {answer["status"] for answer in seen} == {"queued"}
    assert orders.reads == {f"/v1/orders/{order_id}": 1}


async def test_an_order_is_read_afresh_when_asked_and_once_its_time_is_up():
    orders, order_id = FakeOrders(), uuid.uuid4()
    kept_long, kept_not = OrderReads(orders, keep_seconds=60), OrderReads(orders, keep_seconds=0)
    await kept_long.order(order_id)
    await kept_not.order(order_id)

    orders.status = "cancelled"

    assert (await kept_long.order(order_id))["status"] == "queued"
    assert (await kept_long.order(order_id, fresh=True))["status"] == "cancelled"
    assert (await kept_not.order(order_id))["status"] == "cancelled"
