"""The allocator's own figures at `GET /metrics`: its queue per hub and product, read at each
scrape from the totals the queue's trigger keeps."""

import asyncpg
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from services.allocator.store.queue import WAITING_BY_PRODUCT

LABELS = ["service", "hub", "sku"]


async def read_queue(conn: asyncpg.Connection, service: str) -> list[Metric]:
    orders = GaugeMetricFamily(
        "plut_queue_orders",
        "Orders waiting for units, by hub and product. Replicas share the queue: take the max.",
        labels=LABELS,
    )
    units = GaugeMetricFamily(
        "plut_queue_units",
        "Units the waiting orders still want, by hub and product. Replicas share the queue: "
        "take the max.",
        labels=LABELS,
    )
    for row in await conn.fetch(WAITING_BY_PRODUCT):
        orders.add_metric([service, row["hub"], row["sku"]], row["orders"])
        units.add_metric([service, row["hub"], row["sku"]], row["units"])
    return [orders, units]
