-- "Tell me when it opens again" (issue 21): a phone that asked to be told when the pre-order
-- window of a hub's product opens again. The phone is kept to send that one message (never
-- shown back); `told_at` once told, so each sign-up is told once. A phone waits once per
-- product: signing up again while waiting changes nothing.
CREATE TABLE window_signups (
    id          uuid PRIMARY KEY,
    hub         text NOT NULL,
    sku         text NOT NULL,
    phone       text NOT NULL,
    phone_key   bytea NOT NULL,
    language    text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    told_at     timestamptz
);
CREATE UNIQUE INDEX window_signups_waiting ON window_signups (hub, sku, phone_key)
    WHERE told_at IS NULL;
