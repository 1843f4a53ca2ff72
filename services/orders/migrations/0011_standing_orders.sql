-- Standing orders (issue 21, README "Standing orders"): a series that places the same order
-- every day, week or month. `template` is the order as the API took it (NewOrder); each
-- occurrence becomes an ordinary order carrying `standing_order_id` and its `occurrence` number.
-- `next_number` is the first occurrence neither made nor skipped: the worker moves it in the
-- transaction that inserts the occurrences, under the series' row lock.
CREATE TABLE order_series (
    id uuid PRIMARY KEY,
    partner_id uuid REFERENCES partners (id),  -- NULL: placed by the counter (an operator)
    hub text NOT NULL,
    sku text NOT NULL,
    template jsonb NOT NULL,
    every text NOT NULL CHECK (every IN ('day', 'week', 'month')),
    starts_on date NOT NULL,
    at time NOT NULL,
    ends_on date CHECK (ends_on >= starts_on),
    occurrences int CHECK (occurrences >= 1),
    next_number int NOT NULL DEFAULT 1 CHECK (next_number >= 1),
    status text NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'paused', 'cancelled', 'finished')),
    created_at timestamptz NOT NULL DEFAULT now(),
    changed_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on IS NOT NULL OR occurrences IS NOT NULL)
);
CREATE INDEX order_series_active ON order_series (id) WHERE status = 'active';
CREATE INDEX order_series_of_partner ON order_series (partner_id, created_at);

-- Exactly once: a second insert of the same occurrence, whoever tries it, fails here.
ALTER TABLE orders ADD COLUMN standing_order_id uuid REFERENCES order_series (id);
ALTER TABLE orders ADD COLUMN occurrence int;
ALTER TABLE orders ADD CONSTRAINT orders_series_occurrence_key UNIQUE (standing_order_id, occurrence);

-- Each hub's time zone, from hub.registered (an IANA name); a hub never heard of keeps the
-- founding case's Asia/Jakarta.
CREATE TABLE hub_zones (
    hub text PRIMARY KEY,
    timezone text NOT NULL
);
