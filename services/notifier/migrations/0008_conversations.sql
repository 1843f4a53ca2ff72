-- Conversations by chat (issue 20): a reply's recipient is the number that wrote, known for that
-- one message ('chat:<message id>'), with the channel it wrote on as the only one to answer by.
ALTER TABLE recipients DROP CONSTRAINT recipients_kind_check;
ALTER TABLE recipients
    ADD CONSTRAINT recipients_kind_check
    CHECK (kind IN ('producer', 'buyer', 'phone_check', 'chat'));
CREATE INDEX recipients_by_phone ON recipients (phone) WHERE kind = 'buyer';

-- One row per number that wrote: where its conversation stands (an order by chat's step and
-- the choices so far, forgotten after a while), when it was last sent the help message, and
-- how many of its messages were handled in the current minute (a flood is answered once), and
-- the language of the last keyword it wrote that only one language has (NULL: none yet).
CREATE TABLE conversations (
    phone             text PRIMARY KEY,
    language          text CHECK (language IN ('id', 'en')),
    step              text,
    choices           jsonb NOT NULL DEFAULT '{}',
    updated_at        timestamptz NOT NULL DEFAULT now(),
    helped_at         timestamptz,
    minute_from       timestamptz NOT NULL DEFAULT now(),
    handled_in_minute integer NOT NULL DEFAULT 0,
    slowed_at         timestamptz
);
