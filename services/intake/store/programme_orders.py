"""Orders a free-mask programme pays for: their units are the programme's sales, paid to the
producers at its price per unit (see migrations/0007_programme_sales.sql)."""

# A programme's orders, from their allocations (an order named again changes nothing). Returns
# of a new one that came first, and so were taken off an ordinary sale, move to the
# programme's sales: off the ordinary rows, onto the programme's, on their own days. One
# statement changes a row once: the moved units are summed per row first.
PROGRAMME_ORDERS_ADD = """
WITH new AS (
    INSERT INTO programme_orders (order_id, programme_id, unit_price)
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[])
    ON CONFLICT (order_id) DO NOTHING
    RETURNING order_id, programme_id, unit_price
), moved AS (
    DELETE FROM ordinary_returns AS early USING new
    WHERE early.order_id = new.order_id
    RETURNING early.delivery_id, early.day, early.units, new.programme_id, new.unit_price
), off_ordinary AS (
    UPDATE delivery_sales AS s SET units = s.units - total.units
    FROM (SELECT delivery_id, day, sum(units) AS units FROM moved GROUP BY delivery_id, day)
         AS total
    WHERE s.delivery_id = total.delivery_id AND s.day = total.day AND s.programme_id IS NULL
)
INSERT INTO delivery_sales (delivery_id, day, hub, producer_id, sku, units, programme_id,
                            programme_price)
SELECT d.id, moved.day, d.hub, d.producer_id, d.sku, sum(moved.units), moved.programme_id,
       moved.unit_price
FROM moved JOIN deliveries d ON d.id = moved.delivery_id
GROUP BY d.id, moved.day, d.hub, d.producer_id, d.sku, moved.programme_id, moved.unit_price
ON CONFLICT (delivery_id, day, programme_id, programme_price)
DO UPDATE SET units = delivery_sales.units + excluded.units
"""
