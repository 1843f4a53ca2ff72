-- Settled callbacks are pruned by age (shared/pruning.py); BRIN: rows come in created_at order,
-- and the trigger that writes a callback per change pays almost nothing for it.
CREATE INDEX callbacks_by_age ON callbacks USING brin (created_at);
