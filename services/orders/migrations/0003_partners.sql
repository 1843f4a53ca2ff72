-- Partner systems (banks, agencies, marketplaces) post orders with their own API keys.

CREATE TABLE partners (
    id                   uuid PRIMARY KEY,
    name                 text NOT NULL,
    -- The hubs it may order for, and what it may do: orders:write, orders:read.
    hubs                 text[] NOT NULL,
    scopes               text[] NOT NULL,
    -- Where its orders' status changes are posted, signed with callback_secret (HMAC-SHA256).
    -- The secret is kept as given out: signing needs it, and it opens nothing here.
    callback_url         text,
    callback_secret      text NOT NULL,
    -- Each of its keys may make this many requests a minute, all at once or spread out.
    requests_per_minute  integer NOT NULL CHECK (requests_per_minute > 0),
    created_at           timestamptz NOT NULL DEFAULT now()
);

-- A key is shown once; only its SHA-256 is kept. Keys are 256 random bits, so a slow password
-- hash would add nothing but latency. The prefix finds the row; the hash decides.
CREATE TABLE partner_keys (
    prefix      text PRIMARY KEY,
    partner_id  uuid NOT NULL REFERENCES partners (id),
    key_hash    bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- Set when a newer key replaces it: both work until then, so a partner can change over.
    expires_at  timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX partner_keys_of_partner ON partner_keys (partner_id);

-- Rate limits as GCRA: one "theoretical arrival time" per key, pushed forward by each request.
-- Unlogged: losing it in a crash only forgets who was close to their limit.
CREATE UNLOGGED TABLE rate_limits (
    prefix  text PRIMARY KEY,
    tat     timestamptz NOT NULL
);

-- Orders placed with a partner's key are that partner's; an operator's have none.
ALTER TABLE orders ADD COLUMN partner_id uuid REFERENCES partners (id);
CREATE INDEX orders_of_partner ON orders (partner_id, placed_at) WHERE partner_id IS NOT NULL;

-- Idempotency keys are each caller's own: two partners may well pick the same one.
ALTER TABLE idempotency_keys ADD COLUMN owner text NOT NULL DEFAULT 'operator';
ALTER TABLE idempotency_keys ALTER COLUMN owner DROP DEFAULT;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (owner, key);
-- The first answer is stored in the same transaction as the claim, so it is never missing.
ALTER TABLE idempotency_keys
    ALTER COLUMN status SET NOT NULL,
    ALTER COLUMN response SET NOT NULL;
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
