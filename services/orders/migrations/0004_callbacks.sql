-- Status callbacks: every change of a partner's order's status is recorded here in the
-- transaction that made it, then posted to the partner's callback_url by services/orders/callbacks.py.

CREATE TABLE callbacks (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    partner_id       uuid NOT NULL REFERENCES partners (id),
    order_id         uuid NOT NULL REFERENCES orders (id),
    previous_status  text NOT NULL,
    status           text NOT NULL,
    -- The order as it stood at the change (the callback body's "order"), not as it stands when
    -- the callback is finally delivered.
    order_snapshot   jsonb NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- Retries give up a set time after this: the change itself, or the partner's latest replay.
    retrying_since   timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- A worker that claims a row leases it; should the worker die, the row is due again after.
    leased_until     timestamptz,
    last_status      integer,  -- the partner's HTTP status at the latest attempt
    last_error       text,     -- or what kept it from answering
    delivered_at     timestamptz
);
CREATE INDEX callbacks_due ON callbacks (next_attempt_at) WHERE state = 'pending';
-- A partner's callbacks, newest first; a state asked for is a filter on that walk.
CREATE INDEX callbacks_of_partner ON callbacks (partner_id, created_at DESC, id DESC);
CREATE INDEX callbacks_of_order ON callbacks (order_id);

-- A trigger rather than a line in each use case: consumers (allocated, released, expired) and
-- handlers (cancel, fulfil) all change `status`, and any future path will be covered too.
-- `status` is generated, which an AFTER trigger sees computed. Fixed search_path: the trigger
-- also fires for sessions that reach the table as orders.orders; UTC: the snapshot's times
-- read the same whoever made the change.
CREATE FUNCTION record_status_callback() RETURNS trigger
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
        'cancelled_at', NEW.cancelled_at
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

CREATE TRIGGER orders_status_changed
AFTER UPDATE ON orders
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.partner_id IS NOT NULL)
EXECUTE FUNCTION record_status_callback();
