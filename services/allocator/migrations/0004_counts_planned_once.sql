-- The queue's triggers (0002's per class and hour, 0003's per buyer) put their statement
-- together on every change to the queue, so Postgres planned it afresh each time: a few
-- milliseconds per statement, which for the consumer's small batches cost more than the
-- change itself. Here each operation has a trigger function of its own that reads its
-- transition tables with fixed statements, and the counting is done by functions that take
-- the change as arrays; PL/pgSQL plans their statements once per session. What is counted,
-- and when, is as before.

-- Waiting orders and units moved per (product, class, hour placed).
CREATE FUNCTION queue_totals_move(
    moved_hubs text[], moved_skus text[], moved_classes text[], moved_hours timestamptz[],
    moved_orders bigint[], moved_units bigint[]
) RETURNS void LANGUAGE plpgsql
SET search_path FROM CURRENT  -- whoever changes the queue, from whatever schema
AS $$
BEGIN
    WITH change AS (
        SELECT * FROM unnest(moved_hubs, moved_skus, moved_classes, moved_hours, moved_orders,
                            moved_units)
            AS moved (hub, sku, priority_class, placed_hour, orders, units)
    ), per_class AS (
        INSERT INTO queue_totals AS totals (hub, sku, priority_class, orders, units)
        SELECT hub, sku, priority_class, sum(orders), sum(units) FROM change
        GROUP BY hub, sku, priority_class
        ON CONFLICT (hub, sku, priority_class) DO UPDATE
        SET orders = totals.orders + excluded.orders, units = totals.units + excluded.units
    )
    INSERT INTO queue_hours AS kept (hub, sku, priority_class, placed_hour, orders, units)
    SELECT hub, sku, priority_class, placed_hour, orders, units FROM change
    ON CONFLICT (hub, sku, priority_class, placed_hour) DO UPDATE
    SET orders = kept.orders + excluded.orders, units = kept.units + excluded.units;
END
$$;

-- Waiting orders moved per buyer: as 0003's queue_buyers_track, from the change as arrays
-- (one entry per buyer, never zero). The count the upsert answers says whether the buyer
-- just began to wait (it is their change alone) or stopped (zero); a buyer who stopped loses
-- their row.
CREATE FUNCTION queue_buyers_move(
    moved_hubs text[], moved_skus text[], moved_buyers text[], moved_orders bigint[]
)
RETURNS void LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    WITH change AS (
        SELECT * FROM unnest(moved_hubs, moved_skus, moved_buyers, moved_orders)
            AS moved (hub, sku, buyer_key, orders)
    ), per_buyer AS (
        INSERT INTO queue_buyers AS kept (hub, sku, buyer_key, orders)
        SELECT hub, sku, buyer_key, orders FROM change
        ON CONFLICT (hub, sku, buyer_key) DO UPDATE SET orders = kept.orders + excluded.orders
        RETURNING hub, sku, buyer_key, orders
    ), moved AS (
        SELECT hub, sku, buyer_key, CASE WHEN per_buyer.orders = change.orders THEN 1
                                         WHEN per_buyer.orders = 0 THEN -1 ELSE 0 END AS joined
        FROM per_buyer JOIN change USING (hub, sku, buyer_key)
    )
    INSERT INTO queue_buyer_totals AS totals (hub, sku, buyers, served_waiting)
    SELECT moved.hub, moved.sku, sum(joined), coalesce(sum(joined) FILTER (WHERE EXISTS (
        SELECT 1 FROM buyer_days AS served WHERE served.hub = moved.hub
        AND served.sku = moved.sku AND served.day = product.served_day
        AND served.buyer_key = moved.buyer_key)), 0)
    FROM moved LEFT JOIN queue_buyer_totals AS product USING (hub, sku)
    WHERE joined <> 0
    GROUP BY moved.hub, moved.sku
    ON CONFLICT (hub, sku) DO UPDATE SET buyers = totals.buyers + excluded.buyers,
        served_waiting = totals.served_waiting + excluded.served_waiting;
    IF EXISTS (SELECT FROM unnest(moved_orders) AS moved WHERE moved < 0) THEN
        DELETE FROM queue_buyers AS kept
        USING unnest(moved_hubs, moved_skus, moved_buyers, moved_orders)
            AS gone (hub, sku, buyer_key, orders)
        WHERE gone.orders < 0 AND kept.hub = gone.hub AND kept.sku = gone.sku
          AND kept.buyer_key = gone.buyer_key AND kept.orders = 0;
    END IF;
END
$$;

-- The change each operation makes, from its transition tables: +1 per order that waits after
-- it, -1 per order that waited before it (with its units still owed). An insert's new rows and
-- a delete's old rows are both named changed_rows by their triggers.
CREATE FUNCTION queue_counts_on_insert_or_delete() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    sign constant bigint := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    PERFORM queue_totals_move(array_agg(hub), array_agg(sku), array_agg(priority_class),
                              array_agg(placed_hour), array_agg(orders), array_agg(units))
    FROM (SELECT hub, sku, priority_class, date_trunc('hour', placed_at, 'UTC') AS placed_hour,
                 sign * count(*) AS orders, sign * sum(quantity - allocated - forfeited) AS units
          FROM changed_rows WHERE state = 'waiting' GROUP BY 1, 2, 3, 4) AS change
    HAVING count(*) > 0;
    PERFORM queue_buyers_move(array_agg(hub), array_agg(sku), array_agg(buyer_key),
                              array_agg(orders))
    FROM (SELECT hub, sku, buyer_key, sign * count(*) AS orders
          FROM changed_rows WHERE state = 'waiting' GROUP BY 1, 2, 3) AS change
    HAVING count(*) > 0;
    RETURN NULL;
END
$$;

CREATE FUNCTION queue_counts_on_update() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    PERFORM queue_totals_move(array_agg(hub), array_agg(sku), array_agg(priority_class),
                              array_agg(placed_hour), array_agg(orders), array_agg(units))
    FROM (SELECT hub, sku, priority_class, placed_hour, sum(orders) AS orders,
                 sum(units) AS units
          FROM (SELECT hub, sku, priority_class,
                       date_trunc('hour', placed_at, 'UTC') AS placed_hour, 1 AS orders,
                       quantity - allocated - forfeited AS units
                FROM new_rows WHERE state = 'waiting'
                UNION ALL
                SELECT hub, sku, priority_class, date_trunc('hour', placed_at, 'UTC'), -1,
                       -(quantity - allocated - forfeited)
                FROM old_rows WHERE state = 'waiting') AS changed_rows
          GROUP BY 1, 2, 3, 4
          HAVING sum(orders) <> 0 OR sum(units) <> 0) AS change
    HAVING count(*) > 0;
    PERFORM queue_buyers_move(array_agg(hub), array_agg(sku), array_agg(buyer_key),
                              array_agg(orders))
    FROM (SELECT hub, sku, buyer_key, sum(orders) AS orders
          FROM (SELECT hub, sku, buyer_key, 1 AS orders FROM new_rows WHERE state = 'waiting'
                UNION ALL
                SELECT hub, sku, buyer_key, -1 FROM old_rows WHERE state = 'waiting')
               AS changed_rows
          GROUP BY 1, 2, 3
          HAVING sum(orders) <> 0) AS change
    HAVING count(*) > 0;
    RETURN NULL;
END
$$;

DROP TRIGGER queue_totals_on_insert ON queue;
DROP TRIGGER queue_totals_on_update ON queue;
DROP TRIGGER queue_totals_on_delete ON queue;
DROP TRIGGER queue_buyers_on_insert ON queue;
DROP TRIGGER queue_buyers_on_update ON queue;
DROP TRIGGER queue_buyers_on_delete ON queue;
DROP FUNCTION queue_totals_track();
DROP FUNCTION queue_buyers_track();

CREATE TRIGGER queue_counts_on_insert AFTER INSERT ON queue
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION queue_counts_on_insert_or_delete();
CREATE TRIGGER queue_counts_on_update AFTER UPDATE ON queue
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION queue_counts_on_update();
CREATE TRIGGER queue_counts_on_delete AFTER DELETE ON queue
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION queue_counts_on_insert_or_delete();
