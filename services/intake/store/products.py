"""Products listed at hubs."""

import asyncpg

from services.intake.records import Product
from services.intake.store import Taken, columns

PRODUCTS_INSERT = """
INSERT INTO products (id, hub, sku, name, unit_price, listed_at)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[],
                     $6::timestamptz[])
ON CONFLICT (hub, sku) DO NOTHING
RETURNING id
"""
PRODUCT_EXISTS = "SELECT EXISTS (SELECT 1 FROM products WHERE hub = $1 AND sku = $2)"


class Products:
    """What a unit of work learnt of which products are listed, and the ones it listed."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._listed: dict[tuple[str, str], bool] = {}
        self._added: list[Product] = []

    async def exists(self, hub: str, sku: str) -> bool:
        listed = self._listed.get((hub, sku))
        if listed is None:
            listed = self._listed[hub, sku] = await self.conn.fetchval(PRODUCT_EXISTS, hub, sku)
        return listed

    def add(self, product: Product) -> None:
        self._added.append(product)
        self._listed[product.hub, product.sku] = True

    async def flush(self) -> None:
        added, self._added = self._added, []
        if not added:
            return
        rows = [(p.id, p.hub, p.sku, p.name, p.unit_price, p.listed_at) for p in added]
        written = await self.conn.fetch(PRODUCTS_INSERT, *columns(rows, 6))
        if len(written) < len(added):
            inserted = {row["id"] for row in written}
            raise Taken("product", [f"{p.hub}/{p.sku}" for p in added if p.id not in inserted])
