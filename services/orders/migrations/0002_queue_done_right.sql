-- The pre-order queue done right: whole-only orders, priority classes, and what happens to the
-- units after allocation (handed over, or forfeited when not collected in time).

ALTER TABLE orders
    -- False: the buyer takes the whole quantity at once or nothing yet.
    ADD COLUMN accept_partial  boolean NOT NULL DEFAULT true,
    -- The buyer type's class unless an operator named another; filled below for older orders.
    ADD COLUMN priority_class  text,
    -- Of `allocated`, the units an operator handed over to the buyer.
    ADD COLUMN fulfilled       integer NOT NULL DEFAULT 0,
    -- Held units nobody collected in time; they went on to the next in line, and the order does
    -- not wait for them again.
    ADD COLUMN expired         integer NOT NULL DEFAULT 0,
    -- The latest deadline to collect held units (order.allocated v2); null while none is set.
    ADD COLUMN hold_until      timestamptz,
    ADD COLUMN fulfilled_at    timestamptz;

-- As shared.events.CLASS_OF_BUYER_TYPE says, which is how order.placed v1 reads as v2.
UPDATE orders SET priority_class = CASE buyer->>'type'
    WHEN 'health_facility' THEN 'health'
    WHEN 'agency' THEN 'agency'
    ELSE 'public'
END;
ALTER TABLE orders ALTER COLUMN priority_class SET NOT NULL;

-- A generated column cannot read another, so `status` repeats the sum that `waiting` is.
-- `<=` rather than `=`: the counts are deltas from events that may arrive out of order, and a
-- passing overshoot must not make an order look as if it still waited.
ALTER TABLE orders
    DROP COLUMN status,
    ADD COLUMN waiting integer GENERATED ALWAYS AS (
        greatest(quantity - allocated - expired, 0)
    ) STORED,
    ADD COLUMN status text GENERATED ALWAYS AS (
        CASE
            WHEN cancelled_at IS NOT NULL THEN 'cancelled'
            WHEN quantity - allocated - expired <= 0 AND allocated <= 0 THEN 'expired'
            WHEN quantity - allocated - expired <= 0 AND fulfilled >= allocated THEN 'fulfilled'
            WHEN quantity - allocated - expired <= 0 THEN 'allocated'
            WHEN allocated > 0 OR expired > 0 THEN 'partially_allocated'
            ELSE 'queued'
        END
    ) STORED;
