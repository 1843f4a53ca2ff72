-- A producer short of a raw material: how much, of what, since when; resolved when supplied.
-- `material` is kept normalised (trimmed, lower case, single spaces) so reports add up.
CREATE TABLE shortages (
    id           uuid PRIMARY KEY,
    hub          text NOT NULL REFERENCES hubs (code),
    producer_id  uuid NOT NULL REFERENCES producers (id),
    material     text NOT NULL,
    amount       numeric(12, 2) NOT NULL CHECK (amount > 0),
    unit         text NOT NULL CHECK (unit IN ('kg', 'm', 'roll', 'pcs', 'yard')),
    since        date NOT NULL,
    reported_at  timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz
);
CREATE INDEX shortages_by_hub ON shortages (hub, since);
CREATE INDEX shortages_open ON shortages (hub, material) WHERE resolved_at IS NULL;
