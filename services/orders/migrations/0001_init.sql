-- The products buyers may order, as intake announced them (product.listed).
CREATE TABLE catalog (
    hub         text NOT NULL,
    sku         text NOT NULL,
    product_id  uuid NOT NULL,
    name        text NOT NULL,
    unit_price  integer NOT NULL,
    PRIMARY KEY (hub, sku)
);

CREATE TABLE orders (
    id            uuid PRIMARY KEY,
    hub           text NOT NULL,
    sku           text NOT NULL,
    quantity      integer NOT NULL CHECK (quantity > 0),
    -- Kept from the allocator's events as deltas, which commute, so their order does not matter.
    allocated     integer NOT NULL DEFAULT 0,
    buyer         jsonb NOT NULL,
    -- Queue order is (placed_at, sequence); the sequence breaks ties between equal clocks.
    placed_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    sequence      bigint GENERATED ALWAYS AS IDENTITY,
    cancelled_at  timestamptz,
    status        text GENERATED ALWAYS AS (
        CASE
            WHEN cancelled_at IS NOT NULL THEN 'cancelled'
            WHEN allocated >= quantity THEN 'allocated'
            WHEN allocated > 0 THEN 'partially_allocated'
            ELSE 'queued'
        END
    ) STORED
);
CREATE INDEX orders_by_product ON orders (hub, sku, placed_at);

-- A retried POST with the same Idempotency-Key gets the first answer back.
CREATE TABLE idempotency_keys (
    key           text PRIMARY KEY,
    request_hash  text NOT NULL,
    status        integer,
    response      text,  -- the first answer's body, byte for byte
    created_at    timestamptz NOT NULL DEFAULT now()
);
