-- An order a free-mask programme pays for (order.placed v5's `programme`): the programme and
-- what it pays the producer per unit, kept with the queue entry so that every order.allocated
-- of the order says so (intake pays those units at the programme's price). Both or neither;
-- orders placed before programmes have neither.
ALTER TABLE queue
    ADD COLUMN programme_id          uuid,
    ADD COLUMN programme_unit_price  integer CHECK (programme_unit_price >= 0),
    ADD CONSTRAINT queue_programme_whole
        CHECK ((programme_id IS NULL) = (programme_unit_price IS NULL));
