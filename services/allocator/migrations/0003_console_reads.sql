-- What the operators' console reads, each answered in a few milliseconds however long the queue.

-- Waiting orders per buyer of each product, and how many buyers wait, kept by the database on
-- every change to the queue as queue_totals is. A buyer's row goes when their last waiting
-- order leaves. Beside the count of waiting buyers, how many of them got units on the latest
-- day anyone did (`served_day`, in the hub's zone, as buyer_days has it): a day's buyers who
-- got nothing are the difference, read without counting anything.
CREATE TABLE queue_buyers (
    hub        text NOT NULL,
    sku        text NOT NULL,
    buyer_key  text NOT NULL,
    orders     bigint NOT NULL,
    PRIMARY KEY (hub, sku, buyer_key)
);
CREATE TABLE queue_buyer_totals (
    hub             text NOT NULL,
    sku             text NOT NULL,
    buyers          bigint NOT NULL DEFAULT 0,
    served_day      date,
    served_waiting  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (hub, sku)
);

-- As queue_totals_track, per buyer. The count the upsert answers says whether the buyer just
-- began to wait (it is their change alone) or stopped (zero); a change that moves no buyer, such
-- as a told estimate or a partial fill, is left out. A buyer who begins or stops waiting and
-- got units on the served day moves served_waiting too (a look-up per such buyer; EXISTS, so
-- the planner looks each up rather than read every buyer of the day).
CREATE FUNCTION queue_buyers_track() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT  -- whoever changes the queue, from whatever schema
AS $$
DECLARE
    waiting_rows constant text :=
        'SELECT hub, sku, buyer_key, %s AS orders FROM %I WHERE state = ''waiting''';
BEGIN
    EXECUTE format(
        'WITH change AS ('
        '  SELECT hub, sku, buyer_key, sum(orders) AS orders FROM (%s) AS changed_rows '
        '  GROUP BY hub, sku, buyer_key HAVING sum(orders) <> 0), '
        'per_buyer AS ('
        '  INSERT INTO queue_buyers AS kept (hub, sku, buyer_key, orders) '
        '  SELECT hub, sku, buyer_key, orders FROM change '
        '  ON CONFLICT (hub, sku, buyer_key) DO UPDATE SET orders = kept.orders + excluded.orders '
        '  RETURNING hub, sku, buyer_key, orders), '
        'moved AS ('
        '  SELECT hub, sku, buyer_key, CASE WHEN per_buyer.orders = change.orders THEN 1 '
        '                                   WHEN per_buyer.orders = 0 THEN -1 ELSE 0 END AS joined '
        '  FROM per_buyer JOIN change USING (hub, sku, buyer_key)) '
        'INSERT INTO queue_buyer_totals AS totals (hub, sku, buyers, served_waiting) '
        'SELECT moved.hub, moved.sku, sum(joined), coalesce(sum(joined) FILTER (WHERE EXISTS ('
        '    SELECT 1 FROM buyer_days AS served WHERE served.hub = moved.hub '
        '    AND served.sku = moved.sku AND served.day = product.served_day '
        '    AND served.buyer_key = moved.buyer_key)), 0) '
        'FROM moved LEFT JOIN queue_buyer_totals AS product USING (hub, sku) '
        'WHERE joined <> 0 '
        'GROUP BY moved.hub, moved.sku '
        'ON CONFLICT (hub, sku) DO UPDATE SET buyers = totals.buyers + excluded.buyers, '
        '    served_waiting = totals.served_waiting + excluded.served_waiting',
        concat_ws(
            ' UNION ALL ',
            CASE WHEN TG_OP <> 'DELETE' THEN format(waiting_rows, '1', 'new_rows') END,
            CASE WHEN TG_OP <> 'INSERT' THEN format(waiting_rows, '-1', 'old_rows') END
        )
    );
    IF TG_OP <> 'INSERT' THEN  -- only a waiting order leaving can bring a buyer's count to zero
        EXECUTE 'DELETE FROM queue_buyers AS kept USING ('
                '  SELECT DISTINCT hub, sku, buyer_key FROM old_rows WHERE state = ''waiting'''
                ') AS gone '
                'WHERE kept.hub = gone.hub AND kept.sku = gone.sku '
                '  AND kept.buyer_key = gone.buyer_key AND kept.orders = 0';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER queue_buyers_on_insert AFTER INSERT ON queue
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION queue_buyers_track();
CREATE TRIGGER queue_buyers_on_update AFTER UPDATE ON queue
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION queue_buyers_track();
CREATE TRIGGER queue_buyers_on_delete AFTER DELETE ON queue
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION queue_buyers_track();

-- Buyers served for the first time on a day (a fill adds to buyer_days after it changed the
-- queue, so the waiting buyers are those still owed units): a later day than the served day
-- starts it afresh. A buyer served again the same day updates their row, which is no news.
CREATE FUNCTION buyer_days_track() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    WITH latest AS (
        SELECT DISTINCT ON (hub, sku) hub, sku, day FROM new_rows ORDER BY hub, sku, day DESC
    ), served AS (
        SELECT latest.hub, latest.sku, latest.day,
               count(*) FILTER (WHERE EXISTS (
                   SELECT 1 FROM queue_buyers AS waiting
                   WHERE waiting.hub = given.hub AND waiting.sku = given.sku
                     AND waiting.buyer_key = given.buyer_key)) AS waiting
        FROM latest JOIN new_rows AS given USING (hub, sku, day)
        GROUP BY latest.hub, latest.sku, latest.day
    )
    INSERT INTO queue_buyer_totals AS product (hub, sku, served_day, served_waiting)
    SELECT hub, sku, day, waiting FROM served
    ON CONFLICT (hub, sku) DO UPDATE SET
        served_waiting = CASE
            WHEN product.served_day IS NULL OR product.served_day < excluded.served_day
                THEN excluded.served_waiting
            WHEN product.served_day = excluded.served_day
                THEN product.served_waiting + excluded.served_waiting
            ELSE product.served_waiting  -- an earlier day than the served one: not counted
        END,
        served_day = greatest(product.served_day, excluded.served_day);
    RETURN NULL;
END
$$;

CREATE TRIGGER buyer_days_on_insert AFTER INSERT ON buyer_days
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION buyer_days_track();

INSERT INTO queue_buyers (hub, sku, buyer_key, orders)
SELECT hub, sku, buyer_key, count(*) FROM queue WHERE state = 'waiting'
GROUP BY hub, sku, buyer_key;
INSERT INTO queue_buyer_totals (hub, sku, buyers)
SELECT hub, sku, count(*) FROM queue_buyers GROUP BY hub, sku;
UPDATE queue_buyer_totals AS product SET served_day = latest.day
FROM (SELECT hub, sku, max(day) AS day FROM buyer_days GROUP BY hub, sku) AS latest
WHERE product.hub = latest.hub AND product.sku = latest.sku;
UPDATE queue_buyer_totals AS product SET served_waiting = (
    SELECT count(*) FROM buyer_days JOIN queue_buyers USING (hub, sku, buyer_key)
    WHERE buyer_days.hub = product.hub AND buyer_days.sku = product.sku
      AND buyer_days.day = product.served_day
)
WHERE served_day IS NOT NULL;

-- What one delivery (lot) gave, for the counter page.
CREATE INDEX allocations_of_lot ON allocations (delivery_id, allocated_at);
