-- Order codes are the orders service's now (its migration 0008): the code kept for an order
-- placed here is the one the orders API gave it, and any order's code opens its page. The rows
-- from before keep the code this site drew, the one their buyers hold and were sent: it is
-- looked up here when the orders service knows no such code (services/storefront/order_reads.py).
ALTER TABLE tracking_codes ADD COLUMN drawn_here boolean NOT NULL DEFAULT true;
ALTER TABLE tracking_codes ALTER COLUMN drawn_here SET DEFAULT false;
-- One row per order placed here (a double submit finds it by its phone check); the code is no
-- longer this table's to keep unique: the orders service does.
ALTER TABLE tracking_codes DROP CONSTRAINT tracking_codes_pkey;
ALTER TABLE tracking_codes DROP CONSTRAINT tracking_codes_order_id_key;
ALTER TABLE tracking_codes ADD PRIMARY KEY (order_id);
CREATE INDEX tracking_codes_drawn_here ON tracking_codes (code) WHERE drawn_here;
