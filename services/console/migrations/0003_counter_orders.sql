-- Orders placed at the counter for phone and walk-in buyers: who took each one. The order
-- itself is the orders service's; only its id is kept here.
CREATE TABLE counter_orders (
    order_id     uuid PRIMARY KEY,
    operator_id  uuid NOT NULL REFERENCES operators (id),
    taken_at     timestamptz NOT NULL DEFAULT now()
);
