-- Transactional outbox: events written in the same transaction as the state change they
-- describe; the relay publishes them with confirms and deletes them.
CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    event_id     uuid NOT NULL UNIQUE,
    routing_key  text NOT NULL,
    correlation_id text NOT NULL,
    body         bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Inbox: ids of events already handled, written in the handler's transaction, so a redelivered
-- event is acknowledged and skipped.
CREATE TABLE inbox (
    event_id     uuid PRIMARY KEY,
    event_type   text NOT NULL,
    handled_at   timestamptz NOT NULL DEFAULT now()
);
