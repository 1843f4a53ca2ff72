-- One-time codes the buyers' site asks the notifier to send: the recipient is the phone being
-- checked, known only for that one message.
ALTER TABLE recipients DROP CONSTRAINT recipients_kind_check;
ALTER TABLE recipients
    ADD CONSTRAINT recipients_kind_check CHECK (kind IN ('producer', 'buyer', 'phone_check'));
