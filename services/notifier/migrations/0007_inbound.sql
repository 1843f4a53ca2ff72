-- What people send the hub (WhatsApp messages, inbound SMS) and what WhatsApp reports of the
-- messages the hub sent (statuses), recorded as the providers' webhooks bring them: the request
-- only records, and workers act after the commit.

-- A provider retries a notification it did not hear answered: (channel, provider_id) keeps the
-- second copy out. Workers take each number's messages oldest first (`seq`), one at a time.
CREATE TABLE inbound_messages (
    seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel          text NOT NULL CHECK (channel IN ('whatsapp', 'sms')),
    provider_id      text NOT NULL,
    phone            text NOT NULL,
    name             text,
    text             text,
    reply_id         text,
    sent_at          timestamptz NOT NULL,
    received_at      timestamptz NOT NULL DEFAULT now(),
    correlation_id   text NOT NULL,
    -- Answered (or given up on); until then the worker tries again after a failure.
    handled_at       timestamptz,
    failures         integer NOT NULL DEFAULT 0,
    last_error       text,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel, provider_id)
);
CREATE INDEX inbound_messages_unhandled ON inbound_messages (phone, seq) WHERE handled_at IS NULL;

-- WhatsApp's word on a message it was sent: sent, delivered, read or failed (with Meta's code).
-- `message_id` is ours as Meta echoes it (biz_opaque_callback_data), when it does.
CREATE TABLE whatsapp_statuses (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider_id  text NOT NULL,
    status       text NOT NULL CHECK (status IN ('sent', 'delivered', 'read', 'failed')),
    error_code   integer,
    error_title  text,
    message_id   uuid,
    phone        text NOT NULL,
    at           timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    applied_at   timestamptz,
    UNIQUE (provider_id, status)
);
CREATE INDEX whatsapp_statuses_unapplied ON whatsapp_statuses (id) WHERE applied_at IS NULL;
CREATE INDEX whatsapp_statuses_by_message ON whatsapp_statuses (message_id)
    WHERE message_id IS NOT NULL;
CREATE INDEX whatsapp_statuses_by_provider_id ON whatsapp_statuses (provider_id);
