-- Hand-overs at the counter: which staff member handed an order's held units to the buyer, how
-- many, and when (the orders service's time). The order itself is the orders service's; its id
-- is kept here, and the pick-up slip is printed from this row. `request_key` is the fulfil's
-- Idempotency-Key: a double submit finds the row the first one wrote.
CREATE TABLE handovers (
    id           uuid PRIMARY KEY,
    order_id     uuid NOT NULL,
    operator_id  uuid NOT NULL REFERENCES operators (id),
    units        integer NOT NULL CHECK (units > 0),
    handed_at    timestamptz NOT NULL,
    request_key  text NOT NULL UNIQUE
);
CREATE INDEX handovers_by_order ON handovers (order_id);
