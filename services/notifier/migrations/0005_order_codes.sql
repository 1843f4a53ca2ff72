-- A buyer's order code as order.placed v4 carries it (shown, `XXXXX-XXXXX`): their messages
-- name the order by it and link to its tracking page. NULL for an order announced before codes.
ALTER TABLE recipients ADD COLUMN order_code text;
