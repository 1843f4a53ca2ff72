-- The centre's staff who sign in to the console, and their sessions.
CREATE TABLE operators (
    id               uuid PRIMARY KEY,
    username         text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9._-]{3,32}$'),
    name             text NOT NULL,
    role             text NOT NULL CHECK (role IN ('admin', 'staff', 'viewer')),
    password_hash    text NOT NULL,  -- argon2id, with its parameters
    failed_sign_ins  integer NOT NULL DEFAULT 0,
    locked_until     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);

-- Only a hash of the session token is kept: a leaked table signs nobody in.
CREATE TABLE sessions (
    token_hash   bytea PRIMARY KEY,
    operator_id  uuid NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
