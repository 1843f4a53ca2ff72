-- WhatsApp's statuses name our message by its id (biz_opaque_callback_data) and, failing that,
-- by the wamid Meta answered a send with: found among the WhatsApp attempts.
CREATE INDEX delivery_attempts_by_wamid ON delivery_attempts (provider_id)
    WHERE channel = 'whatsapp' AND provider_id IS NOT NULL;

-- The inbound worker takes the oldest messages not handled yet: in `seq` order among those
-- alone, not along the primary key past every message ever handled.
CREATE INDEX inbound_messages_to_answer ON inbound_messages (seq) WHERE handled_at IS NULL;
