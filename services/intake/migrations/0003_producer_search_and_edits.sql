-- The operators' console finds producers by any part of their name or number, and edits them.

-- `ILIKE '%...%'` on a name or phone can be answered from trigram indexes, which the planner
-- takes once a hub is large (a hub of 10,000 producers is read whole in a few milliseconds).
-- pg_trgm is a trusted extension: whoever may create in the database may install it. It may
-- already live in another schema: the indexes name its operator class wherever it is.
-- The extension is the database's, not the schema's: services migrating at the same moment take
-- turns, or the second fails on pg_extension's unique name.
SELECT pg_advisory_xact_lock(hashtext('plut: create extension pg_trgm'));
CREATE EXTENSION IF NOT EXISTS pg_trgm;
DO $$
DECLARE
    trgm text := (SELECT extnamespace::regnamespace::text FROM pg_extension
                  WHERE extname = 'pg_trgm');
BEGIN
    EXECUTE format(
        'CREATE INDEX producers_name_trgm ON producers USING gin (name %s.gin_trgm_ops)', trgm);
    EXECUTE format(
        'CREATE INDEX producers_phone_trgm ON producers USING gin (phone %s.gin_trgm_ops)', trgm);
END
$$;
CREATE INDEX producers_by_name ON producers (hub, name, id);

-- NULL until the first edit; events about a producer carry it, so a reader can tell the newer.
ALTER TABLE producers ADD COLUMN updated_at timestamptz;
