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

-- A partner's callbacks say which standing order an order is an occurrence of, and which one
-- (migration 0004's function, with the two fields added at its end).
CREATE OR REPLACE FUNCTION record_status_callback() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
SET timezone = 'UTC'
AS $$
BEGIN
    INSERT INTO callbacks (partner_id, order_id, previous_status, status, order_snapshot)
    SELECT partners.id, NEW.id, OLD.status, NEW.status, jsonb_build_object(
        'id', NEW.id,
        'hub', NEW.hub,
        'sku', NEW.sku,
        'quantity', NEW.quantity,
        'status', NEW.status,
        'allocated', NEW.allocated,
        'fulfilled', NEW.fulfilled,
        'expired', NEW.expired,
        'waiting', NEW.waiting,
        'hold_until', NEW.hold_until,
        'accept_partial', NEW.accept_partial,
        'priority_class', NEW.priority_class,
        'buyer_reference', NEW.buyer->>'reference',
        'placed_at', NEW.placed_at,
        'fulfilled_at', NEW.fulfilled_at,
        'cancelled_at', NEW.cancelled_at,
        'standing_order_id', NEW.standing_order_id,
        'occurrence', NEW.occurrence
    )
    FROM partners
    WHERE partners.id = NEW.partner_id AND partners.callback_url IS NOT NULL;
    IF FOUND THEN
        -- Delivered at commit, so workers wake exactly when the row becomes visible.
        PERFORM pg_notify(TG_TABLE_SCHEMA || '_callbacks', '');
    END IF;
    RETURN NULL;
END
$$;
