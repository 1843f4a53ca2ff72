-- The console's queue page lists a product's orders in one status (those whose units wait at the
-- counter): a few among possibly 100,000 waiting ones, found here without reading the others.
-- Not a partial index: the search runs as a prepared statement, whose generic plan cannot
-- prove a parameter's status matches a partial index's.
CREATE INDEX orders_of_product_by_status ON orders (hub, sku, status, placed_at, sequence);
