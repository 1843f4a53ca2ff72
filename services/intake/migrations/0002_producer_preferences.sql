-- How each producer wants to be told, as shared.fields says: in Bahasa Indonesia (the default)
-- or English, and on which channel (NULL: the hub's own order, WhatsApp, then SMS, then email).
-- Every producer has a phone; only the email channel needs more.
ALTER TABLE producers
    ADD COLUMN language  text NOT NULL DEFAULT 'id' CHECK (language IN ('id', 'en')),
    ADD COLUMN channel   text CHECK (channel IN ('whatsapp', 'sms', 'email')),
    ADD CONSTRAINT producers_email_channel_has_email
        CHECK (channel IS DISTINCT FROM 'email' OR email IS NOT NULL);
