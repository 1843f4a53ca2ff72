-- Messages go by WhatsApp, SMS or email, in the person's language, by the channel they prefer.

ALTER TABLE recipients
    ADD COLUMN language text NOT NULL DEFAULT 'id' CHECK (language IN ('id', 'en')),
    ADD COLUMN channel text CHECK (channel IN ('whatsapp', 'sms', 'email'));

-- What the notifier must know to write a producer's earnings and a buyer's pick-up place.
ALTER TABLE products ADD COLUMN unit_price integer;

-- A person's "not by this channel", keyed by the address (E.164 phone or lower-case email), so
-- it holds for every order a buyer places and survives a producer's re-registration.
CREATE TABLE opt_outs (
    id             uuid PRIMARY KEY,
    channel        text NOT NULL CHECK (channel IN ('whatsapp', 'sms', 'email')),
    address        text NOT NULL,
    opted_out_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel, address)
);

-- A message's channel is chosen when it is routed (NULL until then, and again after a channel
-- failed for good, with that channel in failed_channels); retries on a channel give up a set time
-- after routed_at. Routed messages are claimed per
-- channel: a claim pushes next_attempt_at out by a lease and counts the attempt, so a claim
-- that dies comes due again and a late answer from a lost lease can be told by `attempts`.
ALTER TABLE messages
    ALTER COLUMN channel DROP NOT NULL,
    ALTER COLUMN channel DROP DEFAULT,
    ADD COLUMN language text,
    ADD COLUMN failed_channels text[] NOT NULL DEFAULT '{}',
    ADD COLUMN provider_id text,
    ADD COLUMN routed_at timestamptz,
    DROP CONSTRAINT messages_status_check,
    ADD CONSTRAINT messages_status_check
        CHECK (status IN ('pending', 'sent', 'skipped', 'failed', 'opted_out'));
-- Messages still waiting are routed afresh, by the rules above.
UPDATE messages SET channel = NULL WHERE status = 'pending';
DROP INDEX messages_due;
CREATE INDEX messages_to_route ON messages (next_attempt_at)
    WHERE status = 'pending' AND channel IS NULL;
CREATE INDEX messages_due ON messages (channel, next_attempt_at)
    WHERE status = 'pending' AND channel IS NOT NULL;

-- Every try at every message: which channel, what came of it, and what the provider said.
CREATE TABLE delivery_attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id   uuid NOT NULL REFERENCES messages (id),
    channel      text NOT NULL,
    outcome      text NOT NULL
                 CHECK (outcome IN ('accepted', 'temporary', 'unknown', 'permanent', 'opted_out')),
    answer       text NOT NULL,
    provider_id  text,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX delivery_attempts_by_message ON delivery_attempts (message_id);

-- Each producer's day per product, kept as events come, for the daily summary: the day is the
-- hub's own calendar day.
CREATE TABLE producer_days (
    hub            text NOT NULL,
    producer_id    uuid NOT NULL,
    sku            text NOT NULL,
    day            date NOT NULL,
    delivered      integer NOT NULL DEFAULT 0,
    accepted       integer NOT NULL DEFAULT 0,
    rejected       integer NOT NULL DEFAULT 0,
    sold           integer NOT NULL DEFAULT 0,
    returned       integer NOT NULL DEFAULT 0,
    earned         bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (hub, sku, day, producer_id)
);
