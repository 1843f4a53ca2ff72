-- Programme sales: units a free-mask programme pays for are paid to their producers at the
-- programme's price per unit, not the product's, and shown apart from ordinary sales.

-- Orders a programme pays for, from their order.allocated (v3's `programme`). A release or an
-- expiry names only its order: this says whose sale it takes back.
CREATE TABLE programme_orders (
    order_id      uuid PRIMARY KEY,
    programme_id  uuid NOT NULL,
    unit_price    integer NOT NULL CHECK (unit_price >= 0)
);

-- A lot's sales on a day are ordinary (both programme columns NULL: paid at the product's
-- price) or one programme's at its price: one row each.
ALTER TABLE delivery_sales
    ADD COLUMN programme_id     uuid,
    ADD COLUMN programme_price  integer CHECK (programme_price >= 0),
    ADD CONSTRAINT delivery_sales_programme_whole
        CHECK ((programme_id IS NULL) = (programme_price IS NULL)),
    DROP CONSTRAINT delivery_sales_pkey,
    ADD CONSTRAINT delivery_sales_kind
        UNIQUE NULLS NOT DISTINCT (delivery_id, day, programme_id, programme_price);

-- Units returned (a release or an expiry: negative) that were taken off an ordinary sale
-- because their order was not known as a programme's: events may come out of order, and when
-- the order's allocation comes after all, naming a programme, they move to its sales.
CREATE TABLE ordinary_returns (
    order_id     uuid NOT NULL,
    delivery_id  uuid NOT NULL,
    day          date NOT NULL,
    units        integer NOT NULL,
    PRIMARY KEY (order_id, delivery_id, day)
);
