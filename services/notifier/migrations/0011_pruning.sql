-- Old attempts, inbound messages and statuses are pruned by age (shared/pruning.py). BRIN: the
-- rows come in time order, so the index costs their inserts almost nothing.
CREATE INDEX delivery_attempts_by_age ON delivery_attempts USING brin (at);
CREATE INDEX inbound_messages_by_age ON inbound_messages USING brin (received_at);
CREATE INDEX whatsapp_statuses_by_age ON whatsapp_statuses USING brin (recorded_at);
