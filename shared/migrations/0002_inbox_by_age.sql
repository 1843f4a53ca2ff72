-- Pruning finds the inbox's old ids by when they were handled (shared/pruning.py). BRIN: the
-- rows come in handled_at order, so a few pages of summary serve, and an insert on the hot path
-- pays almost nothing for it (a btree would cost every handled event an index write).
CREATE INDEX inbox_by_age ON inbox USING brin (handled_at);
