-- Sign-in attempts per (username, source address): reserved before the password is checked,
-- so concurrent guesses count one by one, and counted per source, so a stranger's wrong
-- passwords slow down the stranger, not the operator. Unknown usernames are counted alike.
CREATE TABLE sign_in_attempts (
    username    text NOT NULL,
    source      text NOT NULL,
    attempts    integer NOT NULL,
    not_before  timestamptz NOT NULL,  -- the next attempt waits until then
    last_at     timestamptz NOT NULL,
    PRIMARY KEY (username, source)
);
CREATE INDEX sign_in_attempts_by_age ON sign_in_attempts (last_at);

-- The lock per account alone let anyone lock any operator out.
ALTER TABLE operators DROP COLUMN failed_sign_ins, DROP COLUMN locked_until;
