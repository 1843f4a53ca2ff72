-- Which buyer types a partner may declare for its buyers, the operator's choice per partner: a
-- buyer's type gives its order's priority class (shared.events.CLASS_OF_BUYER_TYPE), so a type
-- such as health_facility moves an order ahead of the public's. Every partner starts with the
-- ordinary public types only, those of the `public` class; an operator adds others.
ALTER TABLE partners
    ADD COLUMN buyer_types text[] NOT NULL DEFAULT '{bank,business,individual}';
