-- The buyers' site owns only what is its own: phone checks, what it sent (for the limits), and
-- the tracking codes of the orders it placed. Orders themselves are the orders service's.

-- One check of one phone: a code sent to it (only its HMAC kept), its tries and its deadline,
-- and what the right code will do (`intent`): place the order the buyer typed, list the phone's
-- orders, or cancel one. Only the browser that asked (the SHA-256 of its cookie) may answer it.
CREATE TABLE phone_checks (
    id            uuid PRIMARY KEY,
    purpose       text NOT NULL CHECK (purpose IN ('order', 'my_orders', 'cancel')),
    phone         text NOT NULL,
    phone_key     bytea NOT NULL,
    browser_hash  bytea NOT NULL,
    code_hash     bytea NOT NULL,
    sent_at       timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    wrong_tries   integer NOT NULL DEFAULT 0,
    intent        jsonb NOT NULL,
    verified_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX phone_checks_by_age ON phone_checks (created_at);

-- Every code sent, by phone (its HMAC) and by the address that asked: the hourly limits.
-- Unlogged: a crash forgets only who was near their limit.
CREATE UNLOGGED TABLE codes_sent (
    phone_key  bytea NOT NULL,
    address    text NOT NULL,
    sent_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX codes_sent_by_phone ON codes_sent (phone_key, sent_at);
CREATE INDEX codes_sent_by_address ON codes_sent (address, sent_at);

-- The code a buyer reads over the phone for an order placed here; one per phone check, so a
-- double submit finds the order the first one placed.
CREATE TABLE tracking_codes (
    code            text PRIMARY KEY,
    order_id        uuid NOT NULL UNIQUE,
    phone_check_id  uuid NOT NULL UNIQUE,
    phone_key       bytea NOT NULL,
    placed_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tracking_codes_by_phone ON tracking_codes (phone_key, placed_at);
