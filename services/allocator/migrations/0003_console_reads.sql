-- What the operators' console reads, each answered in a few milliseconds however long the queue.

-- Waiting orders per buyer of each product, and how many buyers wait, kept by the database on
-- every change to the queue as queue_totals is: a day's buyers who got nothing are then the
-- buyers waiting less those served that day (a few thousand at most), never a count of a long
-- queue. A buyer's row goes when their last waiting order leaves.
CREATE TABLE queue_buyers (
    hub        text NOT NULL,
    sku        text NOT NULL,
    buyer_key  text NOT NULL,
    orders     bigint NOT NULL,
    PRIMARY KEY (hub, sku, buyer_key)
);
CREATE TABLE queue_buyer_totals (
    hub     text NOT NULL,
    sku     text NOT NULL,
    buyers  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (hub, sku)
);

-- As queue_totals_track, per buyer. The count the upsert answers says whether the buyer just
-- began to wait (it is their change alone) or stopped (zero); a change that moves no buyer, such
-- as a told estimate or a partial fill, is left out.
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
        '  RETURNING hub, sku, buyer_key, orders) '
        'INSERT INTO queue_buyer_totals AS totals (hub, sku, buyers) '
        'SELECT hub, sku, sum(CASE WHEN per_buyer.orders = change.orders THEN 1 '
        '                          WHEN per_buyer.orders = 0 THEN -1 ELSE 0 END) '
        'FROM per_buyer JOIN change USING (hub, sku, buyer_key) GROUP BY hub, sku '
        'ON CONFLICT (hub, sku) DO UPDATE SET buyers = totals.buyers + excluded.buyers',
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

INSERT INTO queue_buyers (hub, sku, buyer_key, orders)
SELECT hub, sku, buyer_key, count(*) FROM queue WHERE state = 'waiting'
GROUP BY hub, sku, buyer_key;
INSERT INTO queue_buyer_totals (hub, sku, buyers)
SELECT hub, sku, count(*) FROM queue_buyers GROUP BY hub, sku;

-- What one delivery (lot) gave, for the counter page.
CREATE INDEX allocations_of_lot ON allocations (delivery_id, allocated_at);
