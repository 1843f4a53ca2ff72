-- A hub is one PLUT (service centre); every record belongs to one.
CREATE TABLE hubs (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    timezone    text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
    id          uuid PRIMARY KEY,
    hub         text NOT NULL REFERENCES hubs (code),
    sku         text NOT NULL,
    name        text NOT NULL,
    unit_price  integer NOT NULL CHECK (unit_price > 0),  -- whole rupiah
    listed_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (hub, sku)
);

CREATE TABLE producers (
    id             uuid PRIMARY KEY,
    hub            text NOT NULL REFERENCES hubs (code),
    name           text NOT NULL,
    phone          text NOT NULL,  -- E.164
    regency        text NOT NULL,
    email          text,
    registered_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (hub, phone)
);

-- A delivery is a lot: its accepted units are what the allocator may give, and `sold` is what
-- it gave (kept from the allocator's events, for the producer's payout view).
CREATE TABLE deliveries (
    id           uuid PRIMARY KEY,
    hub          text NOT NULL,
    producer_id  uuid NOT NULL REFERENCES producers (id),
    sku          text NOT NULL,
    quantity     integer NOT NULL CHECK (quantity > 0),
    rejected     integer NOT NULL CHECK (rejected >= 0 AND rejected <= quantity),
    accepted     integer GENERATED ALWAYS AS (quantity - rejected) STORED,
    sold         integer NOT NULL DEFAULT 0,
    received_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (hub, sku) REFERENCES products (hub, sku)
);
CREATE INDEX deliveries_by_producer ON deliveries (producer_id, received_at);
