-- Order windows (issue 21, services/orders/windows.py): a hub takes pre-orders for a product
-- only within a period and up to a cap in units. `ordered` counts the units of the orders
-- taken in the window, written in the transaction that inserts them, with the row locked
-- (store/windows.py): the CHECK is the last word that no unit goes over. A cancelled order
-- keeps its units counted (the cap counts demand). `closed_at`: an operator closed it early;
-- `summarised_at`: its summary went to the operators (once).
CREATE TABLE order_windows (
    id uuid PRIMARY KEY,
    hub text NOT NULL,
    sku text NOT NULL,
    opens_at timestamptz NOT NULL,
    closes_at timestamptz NOT NULL,
    cap int NOT NULL CHECK (cap > 0),
    timezone text NOT NULL,
    ordered int NOT NULL DEFAULT 0,
    orders int NOT NULL DEFAULT 0,
    refused int NOT NULL DEFAULT 0,
    by_buyer_type jsonb NOT NULL DEFAULT '{}',
    closed_at timestamptz,
    summarised_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (closes_at > opens_at),
    CHECK (ordered <= cap)
);
CREATE INDEX order_windows_of_product ON order_windows (hub, sku);
-- The windows whose summary is due, found without reading every window.
CREATE INDEX order_windows_unsummarised ON order_windows (closes_at) WHERE summarised_at IS NULL;
