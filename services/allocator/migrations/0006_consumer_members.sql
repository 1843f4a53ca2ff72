-- The allocator replicas alive now, each with its last heartbeat: each replica takes the
-- partitions rendezvous hashing gives it among them (shared/partitioned.py). Load spreading
-- only: order and exactly-once never depend on this table.
CREATE TABLE consumer_members (
    member   text PRIMARY KEY,
    seen_at  timestamptz NOT NULL
);
