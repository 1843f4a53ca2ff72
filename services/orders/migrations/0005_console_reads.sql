-- What the operators' console reads: orders found by id, buyer name or phone, newest first,
-- and each order's history.

-- Everything that happened to an order, as this service learned it: appended in the
-- transaction of each change (a handler's or a consumer's), never changed afterwards.
CREATE TABLE order_history (
    id        bigserial PRIMARY KEY,
    order_id  uuid NOT NULL REFERENCES orders (id),
    at        timestamptz NOT NULL,
    -- placed, allocated, released, expired, cancelled, fulfilled, callback_sent, callback_failed
    kind      text NOT NULL,
    units     integer,
    detail    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX order_history_of_order ON order_history (order_id, at, id);

-- Orders from before the history began have what their own row still says: when they were
-- placed, cancelled and handed over (not their allocations, which only the events told).
INSERT INTO order_history (order_id, at, kind, units, detail)
SELECT id, placed_at, 'placed', quantity,
       jsonb_build_object('priority_class', priority_class, 'accept_partial', accept_partial,
                          'partner_id', partner_id, 'from_order_row', true)
FROM orders;
INSERT INTO order_history (order_id, at, kind, units, detail)
SELECT id, cancelled_at, 'cancelled', NULL, jsonb_build_object('from_order_row', true)
FROM orders WHERE cancelled_at IS NOT NULL;
INSERT INTO order_history (order_id, at, kind, units, detail)
SELECT id, fulfilled_at, 'fulfilled', fulfilled,
       jsonb_build_object('fulfilled_total', fulfilled, 'from_order_row', true)
FROM orders WHERE fulfilled_at IS NOT NULL;

-- Newest first, for all hubs and for one.
CREATE INDEX orders_newest ON orders (placed_at, sequence);
CREATE INDEX orders_of_hub_newest ON orders (hub, placed_at, sequence);

-- A buyer's name or phone found from any part of it: trigram indexes (pg_trgm, a trusted
-- extension since Postgres 13, kept in this service's schema). Without the extension the
-- search still works, reading every order.
DO $$
DECLARE
    trgm_schema text;
BEGIN
    -- The extension is the database's: services migrating at once take turns (see intake's 0003).
    PERFORM pg_advisory_xact_lock(hashtext('plut: create extension pg_trgm'));
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'pg_trgm unavailable (%): buyer search reads every order', SQLERRM;
        RETURN;
    END;
    SELECT nspname INTO trgm_schema
    FROM pg_extension JOIN pg_namespace ON pg_namespace.oid = extnamespace
    WHERE extname = 'pg_trgm';
    EXECUTE format(
        'CREATE INDEX orders_by_buyer_name ON orders USING gin ((buyer->>''name'') %I.gin_trgm_ops)',
        trgm_schema
    );
    EXECUTE format(
        'CREATE INDEX orders_by_buyer_phone ON orders '
        'USING gin ((buyer->>''phone'') %I.gin_trgm_ops)',
        trgm_schema
    );
END
$$;
