-- Fair policies, holds for pickup, explainable decisions and each hub's day.

-- A hub's days run midnight to midnight in its own time zone (from hub.registered).
CREATE TABLE hubs (
    hub       text PRIMARY KEY,
    timezone  text NOT NULL
);

-- How a product is shared, versioned: the highest version is the active one.
CREATE TABLE policies (
    hub                  text NOT NULL,
    sku                  text NOT NULL,
    version              integer NOT NULL CHECK (version >= 1),
    mode                 text NOT NULL CHECK (mode IN ('fifo', 'fair_share', 'lottery')),
    per_buyer_daily_cap  integer CHECK (per_buyer_daily_cap >= 1),
    classes              jsonb NOT NULL,  -- [{"name": ..., "reserve_percent": ...}] by priority
    hold_seconds         integer NOT NULL CHECK (hold_seconds >= 1),
    set_at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (hub, sku, version)
);

-- The queue is ordered by (priority class, placed_at, sequence); `forfeited` units expired
-- uncollected and are no longer owed; the last skip says why the order got nothing lately.
ALTER TABLE queue
    ADD COLUMN buyer_key       text NOT NULL DEFAULT '',
    ADD COLUMN priority_class  text NOT NULL DEFAULT 'public',
    ADD COLUMN accept_partial  boolean NOT NULL DEFAULT true,
    ADD COLUMN forfeited       integer NOT NULL DEFAULT 0,
    ADD COLUMN skip_rule       text,
    ADD COLUMN skip_detail     jsonb,
    ADD COLUMN skipped_at      timestamptz,
    ADD COLUMN estimated_date  date,  -- as last told to the buyer
    DROP CONSTRAINT queue_check,
    ADD CONSTRAINT queue_never_over
        CHECK (allocated >= 0 AND forfeited >= 0 AND allocated + forfeited <= quantity);
DROP INDEX queue_waiting;
CREATE INDEX queue_waiting ON queue (hub, sku, priority_class, placed_at, sequence)
    WHERE state = 'waiting';

-- Each allocation is held for the buyer until `hold_until`, then fulfilled, released by a
-- cancel, or expired; it names the rule and the policy version that made it.
ALTER TABLE allocations
    ADD COLUMN hub             text,
    ADD COLUMN sku             text,
    ADD COLUMN rule            text NOT NULL DEFAULT 'fifo',
    ADD COLUMN policy_version  integer NOT NULL DEFAULT 0,
    ADD COLUMN draw_id         bigint,
    ADD COLUMN hold_until      timestamptz,
    ADD COLUMN state           text NOT NULL DEFAULT 'held'
        CHECK (state IN ('held', 'fulfilled', 'released', 'expired')),
    ADD COLUMN ended_at        timestamptz;
UPDATE allocations SET state = 'released', ended_at = released_at WHERE released_at IS NOT NULL;
UPDATE allocations SET hub = queue.hub, sku = queue.sku
FROM queue WHERE queue.order_id = allocations.order_id;
ALTER TABLE allocations
    ALTER COLUMN hub SET NOT NULL,
    ALTER COLUMN sku SET NOT NULL,
    DROP COLUMN released_at;
CREATE INDEX allocations_held ON allocations (order_id) WHERE state = 'held';
CREATE INDEX allocations_due ON allocations (hold_until) WHERE state = 'held';
CREATE INDEX allocations_of_day ON allocations (hub, sku, allocated_at);
CREATE INDEX allocations_ended ON allocations (hub, sku, ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX lots_received ON lots (hub, sku, received_at);

-- A lottery's draw: the seed and each class's entrants in queue order reproduce who was chosen.
CREATE TABLE draws (
    id              bigserial PRIMARY KEY,
    hub             text NOT NULL,
    sku             text NOT NULL,
    policy_version  integer NOT NULL,
    seed            bigint NOT NULL,
    entrants        jsonb NOT NULL,  -- {"class": ["order id", ...]}
    units           integer NOT NULL,
    drawn_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX draws_of_product ON draws (hub, sku, drawn_at);

-- Units each buyer got per product per day (in the hub's zone), against the daily cap.
CREATE TABLE buyer_days (
    hub        text NOT NULL,
    sku        text NOT NULL,
    day        date NOT NULL,
    buyer_key  text NOT NULL,
    units      integer NOT NULL,
    PRIMARY KEY (hub, sku, day, buyer_key)
);

-- Each day's summary is published once.
CREATE TABLE day_summaries (
    hub       text NOT NULL,
    sku       text NOT NULL,
    day       date NOT NULL,
    summary   jsonb NOT NULL,
    PRIMARY KEY (hub, sku, day)
);

-- Waiting orders and units per class, and per class and hour placed, kept by the database
-- itself on every change to the queue: a fill knows each class's demand, and any order's place
-- is found from these rows and at most one hour's orders, never by counting a long queue.
CREATE TABLE queue_totals (
    hub             text NOT NULL,
    sku             text NOT NULL,
    priority_class  text NOT NULL,
    orders          bigint NOT NULL DEFAULT 0,
    units           bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (hub, sku, priority_class)
);
CREATE TABLE queue_hours (
    hub             text NOT NULL,
    sku             text NOT NULL,
    priority_class  text NOT NULL,
    placed_hour     timestamptz NOT NULL,
    orders          bigint NOT NULL DEFAULT 0,
    units           bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (hub, sku, priority_class, placed_hour)
);

-- One function for inserts, updates and deletes: a transition table exists only for the
-- operations that have it, so the query is put together for the operation at hand.
CREATE FUNCTION queue_totals_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    waiting_rows constant text := 'SELECT hub, sku, priority_class, '
        'date_trunc(''hour'', placed_at, ''UTC'') AS placed_hour, %s AS orders, '
        '%s(quantity - allocated - forfeited) AS units FROM %I WHERE state = ''waiting''';
BEGIN
    EXECUTE format(
        'WITH change AS (%s), '
        'per_class AS ('
        '  INSERT INTO queue_totals AS totals (hub, sku, priority_class, orders, units) '
        '  SELECT hub, sku, priority_class, sum(orders), sum(units) FROM change '
        '  GROUP BY hub, sku, priority_class '
        '  ON CONFLICT (hub, sku, priority_class) DO UPDATE '
        '  SET orders = totals.orders + excluded.orders, units = totals.units + excluded.units) '
        'INSERT INTO queue_hours AS hours (hub, sku, priority_class, placed_hour, orders, units) '
        'SELECT hub, sku, priority_class, placed_hour, sum(orders), sum(units) FROM change '
        'GROUP BY hub, sku, priority_class, placed_hour '
        'ON CONFLICT (hub, sku, priority_class, placed_hour) DO UPDATE '
        'SET orders = hours.orders + excluded.orders, units = hours.units + excluded.units',
        concat_ws(
            ' UNION ALL ',
            CASE WHEN TG_OP <> 'DELETE' THEN format(waiting_rows, '1', '', 'new_rows') END,
            CASE WHEN TG_OP <> 'INSERT' THEN format(waiting_rows, '-1', '-', 'old_rows') END
        )
    );
    RETURN NULL;
END
$$;

CREATE TRIGGER queue_totals_on_insert AFTER INSERT ON queue
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION queue_totals_track();
CREATE TRIGGER queue_totals_on_update AFTER UPDATE ON queue
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION queue_totals_track();
CREATE TRIGGER queue_totals_on_delete AFTER DELETE ON queue
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION queue_totals_track();

INSERT INTO queue_totals (hub, sku, priority_class, orders, units)
SELECT hub, sku, priority_class, count(*), sum(quantity - allocated - forfeited)
FROM queue WHERE state = 'waiting'
GROUP BY hub, sku, priority_class;
INSERT INTO queue_hours (hub, sku, priority_class, placed_hour, orders, units)
SELECT hub, sku, priority_class, date_trunc('hour', placed_at, 'UTC'), count(*),
       sum(quantity - allocated - forfeited)
FROM queue WHERE state = 'waiting'
GROUP BY hub, sku, priority_class, date_trunc('hour', placed_at, 'UTC');
