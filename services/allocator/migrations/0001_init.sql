-- A lot is one delivery's accepted units; `allocated` of them are given to orders.
CREATE TABLE lots (
    delivery_id  uuid PRIMARY KEY,
    hub          text NOT NULL,
    sku          text NOT NULL,
    producer_id  uuid NOT NULL,
    accepted     integer NOT NULL CHECK (accepted >= 0),
    allocated    integer NOT NULL DEFAULT 0,
    received_at  timestamptz NOT NULL,
    CHECK (allocated >= 0 AND allocated <= accepted)  -- a lot never gives more than it has
);
CREATE INDEX lots_with_stock ON lots (hub, sku, received_at, delivery_id)
    WHERE allocated < accepted;

-- The pre-order queue: ordered by (placed_at, sequence), both assigned by the orders service.
CREATE TABLE queue (
    order_id   uuid PRIMARY KEY,
    hub        text NOT NULL,
    sku        text NOT NULL,
    quantity   integer NOT NULL CHECK (quantity > 0),
    allocated  integer NOT NULL DEFAULT 0,
    placed_at  timestamptz NOT NULL,
    sequence   bigint NOT NULL,
    state      text NOT NULL CHECK (state IN ('waiting', 'filled', 'cancelled')),
    queued_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (allocated >= 0 AND allocated <= quantity)  -- an order never gets more than it asked
);
-- Only waiting orders are indexed, so a fill reads the head of the queue, never all of it.
CREATE INDEX queue_waiting ON queue (hub, sku, placed_at, sequence) WHERE state = 'waiting';

-- Every unit given, by lot and order: the trace from a buyer back to the producer.
CREATE TABLE allocations (
    id            bigserial PRIMARY KEY,
    order_id      uuid NOT NULL REFERENCES queue (order_id),
    delivery_id   uuid NOT NULL REFERENCES lots (delivery_id),
    quantity      integer NOT NULL CHECK (quantity > 0),
    allocated_at  timestamptz NOT NULL DEFAULT now(),
    released_at   timestamptz
);
CREATE INDEX allocations_by_order ON allocations (order_id) WHERE released_at IS NULL;

-- A cancel that arrived before its order: the order is never queued when it comes.
CREATE TABLE early_cancellations (
    order_id      uuid PRIMARY KEY,
    cancelled_at  timestamptz NOT NULL
);
