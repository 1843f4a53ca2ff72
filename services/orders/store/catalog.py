"""The catalog: the products buyers may order, as intake announced them (product.listed)."""

import uuid
from typing import TYPE_CHECKING

import asyncpg

from services.orders.models import CatalogEntry

if TYPE_CHECKING:
    from services.orders.store.unit_of_work import UnitOfWork

# Many products at once, each named once (ON CONFLICT may touch a row once a statement).
CATALOG_UPSERT = """
INSERT INTO catalog (hub, sku, product_id, name, unit_price)
SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::int[])
ON CONFLICT (hub, sku) DO UPDATE
SET product_id = excluded.product_id, name = excluded.name, unit_price = excluded.unit_price
"""
CATALOG_OF_HUB = "SELECT * FROM catalog WHERE hub = $1 ORDER BY sku"
HUB_EXISTS = "SELECT EXISTS (SELECT 1 FROM catalog WHERE hub = $1)"

HUBS_KNOWN = "SELECT array_agg(DISTINCT hub) FROM catalog WHERE hub = ANY($1::text[])"


async def catalog_of_hub(conn: asyncpg.Connection, hub: str) -> list[CatalogEntry]:
    return [CatalogEntry.model_validate(dict(row)) for row in await conn.fetch(CATALOG_OF_HUB, hub)]


class CatalogRows:
    """The unit of work's catalog: listings held until flushed (a product's last one stands)."""

    def __init__(self, unit: "UnitOfWork") -> None:
        self._unit = unit
        self._listed: dict[tuple[str, str], tuple[str, str, uuid.UUID, str, int]] = {}

    def listed(self, hub: str, sku: str, product_id: uuid.UUID, name: str, unit_price: int) -> None:
        self._listed[hub, sku] = (hub, sku, product_id, name, unit_price)

    async def has_hub(self, hub: str) -> bool:
        await self.flush()
        return await self._unit.run(lambda conn: conn.fetchval(HUB_EXISTS, hub))

    async def flush(self) -> None:
        listed, self._listed = list(self._listed.values()), {}
        if listed:
            columns = [[product[n] for product in listed] for n in range(5)]
            await self._unit.run(lambda conn: conn.execute(CATALOG_UPSERT, *columns))
