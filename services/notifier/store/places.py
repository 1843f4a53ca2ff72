"""Hubs and products as the notifier's messages name them: held by a batch, written a statement
per kind, read once per batch for each (hub, product)."""

from dataclasses import dataclass

import asyncpg

from services.notifier.dates import DEFAULT_TIMEZONE
from services.notifier.store.columns import columns

HUBS_UPSERT = """
INSERT INTO hubs (code, name, timezone)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
ON CONFLICT (code) DO UPDATE SET name = excluded.name, timezone = excluded.timezone
"""
PRODUCTS_UPSERT = """
INSERT INTO products (hub, sku, name, unit_price)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[])
ON CONFLICT (hub, sku) DO UPDATE SET name = excluded.name, unit_price = excluded.unit_price
"""
# A product and its hub as messages name them, in one round trip; either may be unknown yet.
PLACE = """
SELECT p.name, p.unit_price, h.name AS hub_name, h.timezone
FROM (SELECT) AS one
LEFT JOIN products p ON p.hub = $1 AND p.sku = $2
LEFT JOIN hubs h ON h.code = $1
"""


@dataclass(frozen=True)
class Product:
    name: str
    unit_price: int | None  # None until product.listed arrives


@dataclass(frozen=True)
class Hub:
    name: str
    timezone: str


@dataclass(frozen=True)
class Place:
    """A product as listed at its hub as registered."""

    product: Product
    hub: Hub


class Places:
    """What a batch learned of hubs and products (the last word on each stands), and what it
    read of them. A read writes what is held first, so it sees what the batch learned."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self._read: dict[tuple[str, str], Place] = {}
        self._hubs: dict[str, tuple] = {}
        self._products: dict[tuple[str, str], tuple] = {}

    def add_hub(self, code: str, name: str, timezone: str) -> None:
        self._hubs[code] = (code, name, timezone)

    def add_product(self, hub: str, sku: str, name: str, unit_price: int | None) -> None:
        self._products[hub, sku] = (hub, sku, name, unit_price)

    async def get(self, hub: str, sku: str) -> Place:
        """One not heard of yet goes by its code (a hub in the founding hub's zone)."""
        if self._hubs or self._products:
            await self.flush()
        place = self._read.get((hub, sku))
        if place is None:
            row = await self._conn.fetchrow(PLACE, hub, sku)
            place = self._read[hub, sku] = Place(
                Product(row["name"] or sku, row["unit_price"]),
                Hub(row["hub_name"] or hub, row["timezone"] or DEFAULT_TIMEZONE),
            )
        return place

    async def flush(self) -> None:
        hubs, self._hubs = list(self._hubs.values()), {}
        products, self._products = list(self._products.values()), {}
        if hubs or products:
            self._read.clear()
        if hubs:
            await self._conn.execute(HUBS_UPSERT, *columns(hubs, 3))
        if products:
            await self._conn.execute(PRODUCTS_UPSERT, *columns(products, 4))
