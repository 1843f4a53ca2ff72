-- Product names, so messages say "Masker kain 3 lapis" rather than a code.
CREATE TABLE products (
    hub   text NOT NULL,
    sku   text NOT NULL,
    name  text NOT NULL,
    PRIMARY KEY (hub, sku)
);

-- People to tell: a producer ('producer:<id>') or the buyer of one order ('buyer:<order id>').
CREATE TABLE recipients (
    key            text PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('producer', 'buyer')),
    name           text NOT NULL,
    email          text,
    phone          text,
    registered_at  timestamptz NOT NULL DEFAULT now()
);

-- Every message, from the moment an event calls for it. A message whose recipient is not known
-- yet (events may overtake each other) waits as pending until the recipient arrives.
CREATE TABLE messages (
    id               uuid PRIMARY KEY,
    event_id         uuid NOT NULL,
    correlation_id   text NOT NULL,
    hub              text NOT NULL,
    recipient_key    text NOT NULL,
    template         text NOT NULL,
    channel          text NOT NULL DEFAULT 'email',
    params           jsonb NOT NULL,
    order_id         uuid,
    producer_id      uuid,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sent', 'skipped', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    address          text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    -- One event never sends the same message to the same person twice.
    UNIQUE (event_id, recipient_key, template)
);
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX messages_by_order ON messages (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX messages_by_producer ON messages (producer_id) WHERE producer_id IS NOT NULL;
