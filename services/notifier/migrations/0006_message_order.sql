-- Messages in the order they were recorded. A batch's messages share one created_at (now() is
-- the transaction's time), so the log needs a tiebreak that keeps the events' order: an identity
-- drawn row by row as the batch's insert lists them.
ALTER TABLE messages ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
