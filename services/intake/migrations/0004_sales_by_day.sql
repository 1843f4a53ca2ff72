-- Units sold from each lot per hub-local day of the allocator's events (a release or expiry takes
-- its units off on its own day, so a day can be negative). Kept from this migration on: sales
-- before it are only in deliveries.sold. hub, producer and sku are the lot's, copied for the
-- per-producer and per-hub reports.
CREATE TABLE delivery_sales (
    delivery_id  uuid NOT NULL REFERENCES deliveries (id),
    day          date NOT NULL,
    hub          text NOT NULL,
    producer_id  uuid NOT NULL,
    sku          text NOT NULL,
    units        integer NOT NULL,
    PRIMARY KEY (delivery_id, day)
);
CREATE INDEX delivery_sales_by_producer ON delivery_sales (producer_id, day);
CREATE INDEX delivery_sales_by_hub ON delivery_sales (hub, day);
