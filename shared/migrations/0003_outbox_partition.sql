-- The partition an event travels in (shared/partitions.py), computed when it is stored, so the
-- relay groups and heads its messages without reading the bodies. NULL: an event that names no
-- product. Adding a nullable column without a default rewrites nothing.
ALTER TABLE outbox ADD COLUMN partition smallint;
