-- Free-mask programmes (issue 21, services/orders/programmes/): a funder's budget pays producers
-- for units given away. An application is an order of the `program` class, kept in `orders` with
-- its programme, its recipient (the NIK's keyed hash for a citizen, never the NIK; else the
-- buyer's key), what the programme pays a unit, whether it was admitted (only then does its
-- order.placed go to the allocator), and its draw ticket (shared/programme_tickets.py): what
-- the published draws name it by. Never the order's code, which opens the order to whoever
-- holds it; the ticket is random, unrelated to the code, and unique within its programme. Admission happens under the programme's row lock
-- (store/programmes.py); the trigger below is the last word that the budget holds.
CREATE TABLE programmes (
    id uuid PRIMARY KEY,
    hub text NOT NULL,
    name text NOT NULL,
    funder text NOT NULL,
    budget bigint NOT NULL CHECK (budget > 0),
    starts_on date NOT NULL,
    ends_on date NOT NULL,
    units_per_recipient int NOT NULL CHECK (units_per_recipient >= 1),
    -- Lowercased; empty: every regency.
    regencies text[] NOT NULL,
    buyer_types text[] NOT NULL CHECK (cardinality(buyer_types) >= 1),
    selection text NOT NULL CHECK (selection IN ('lottery', 'first_come')),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on >= starts_on)
);
CREATE INDEX programmes_of_hub ON programmes (hub, starts_on);

CREATE TABLE programme_products (
    programme_id uuid NOT NULL REFERENCES programmes (id),
    sku text NOT NULL,
    unit_price int NOT NULL CHECK (unit_price >= 0),
    PRIMARY KEY (programme_id, sku)
);

ALTER TABLE orders
    ADD COLUMN programme_id uuid REFERENCES programmes (id),
    ADD COLUMN programme_recipient text,
    ADD COLUMN programme_unit_price int CHECK (programme_unit_price >= 0),
    ADD COLUMN programme_status text CHECK (programme_status IN ('waiting', 'admitted')),
    ADD COLUMN admitted_at timestamptz,
    ADD COLUMN programme_ticket text CHECK (programme_ticket ~ '^T-[0-9A-HJKMNP-TV-Z]{6}$'),
    ADD CONSTRAINT orders_programme_whole CHECK (
        (programme_id IS NULL) = (programme_recipient IS NULL)
        AND (programme_id IS NULL) = (programme_unit_price IS NULL)
        AND (programme_id IS NULL) = (programme_status IS NULL)
        AND (programme_id IS NULL) = (programme_ticket IS NULL)
    );
-- Each ticket once per programme: an application drawing a taken one draws again (under the
-- programme's row lock, store/programmes.py ENTER).
CREATE UNIQUE INDEX orders_programme_ticket ON orders (programme_id, programme_ticket)
    WHERE programme_id IS NOT NULL;
-- One live application per recipient and programme: a cancelled one frees its recipient (the
-- units it was given still count against units_per_recipient, checked when applying).
CREATE UNIQUE INDEX orders_programme_recipient ON orders (programme_id, programme_recipient)
    WHERE programme_id IS NOT NULL AND cancelled_at IS NULL;
CREATE INDEX orders_of_programme ON orders (programme_id, sequence) WHERE programme_id IS NOT NULL;

-- What a programme owes and paid: committed = units admitted and not yet given, expired or
-- cancelled; spent = units given. Both x the unit price.
CREATE FUNCTION programme_budget(programme uuid, OUT committed bigint, OUT spent bigint)
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT
        coalesce(sum(CASE WHEN cancelled_at IS NULL
            THEN greatest(quantity - least(fulfilled, quantity) - expired, 0) ELSE 0 END
            * programme_unit_price::bigint), 0)::bigint,
        coalesce(sum(least(fulfilled, quantity) * programme_unit_price::bigint), 0)::bigint
    FROM orders
    WHERE programme_id = programme AND programme_status = 'admitted'
$$;

-- At commit, whatever wrote it: a programme's committed and spent never pass its budget, and
-- no recipient is owed or given more than units_per_recipient (its live applications'
-- quantities and what its cancelled ones were handed). Checked when an application enters or
-- changes status, and when units are handed over (which moves them from committed to spent);
-- allocations, expiries and cancels only ever lower what is owed.
CREATE FUNCTION programme_within_bounds() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    p record;
    b record;
    units bigint;
BEGIN
    SELECT budget, units_per_recipient INTO p FROM programmes WHERE id = NEW.programme_id;
    SELECT * INTO b FROM programme_budget(NEW.programme_id);
    IF b.committed + b.spent > p.budget THEN
        RAISE EXCEPTION 'programme % over budget: % committed + % spent > %',
            NEW.programme_id, b.committed, b.spent, p.budget
            USING ERRCODE = 'check_violation', CONSTRAINT = 'programme_within_budget';
    END IF;
    SELECT sum(CASE WHEN cancelled_at IS NULL THEN quantity ELSE least(fulfilled, quantity) END)
    INTO units
    FROM orders
    WHERE programme_id = NEW.programme_id AND programme_recipient = NEW.programme_recipient;
    IF units > p.units_per_recipient THEN
        RAISE EXCEPTION 'a recipient of programme % past % units', NEW.programme_id,
            p.units_per_recipient
            USING ERRCODE = 'check_violation', CONSTRAINT = 'programme_per_recipient';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER programme_within_bounds_inserted AFTER INSERT ON orders
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.programme_id IS NOT NULL)
    EXECUTE FUNCTION programme_within_bounds();
CREATE CONSTRAINT TRIGGER programme_within_bounds AFTER UPDATE ON orders
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.programme_id IS NOT NULL AND (
        OLD.programme_id IS DISTINCT FROM NEW.programme_id
        OR OLD.programme_recipient IS DISTINCT FROM NEW.programme_recipient
        OR OLD.programme_status IS DISTINCT FROM NEW.programme_status
        OR OLD.programme_unit_price IS DISTINCT FROM NEW.programme_unit_price
        OR NEW.quantity > OLD.quantity
        OR NEW.fulfilled > OLD.fulfilled
        OR NEW.expired < OLD.expired
        OR (OLD.cancelled_at IS NOT NULL AND NEW.cancelled_at IS NULL)
    ))
    EXECUTE FUNCTION programme_within_bounds();

-- Every draw, published as it was made: the seed, the entrants' draw tickets (T-XXXXXX) in
-- entry order (applications in the order they came), what each cost and what the budget had
-- left let anyone replay it (tools/replay_draw.py). The order ids are kept here for the
-- service's own use and never published; no order code is kept at all (a code opens its order).
CREATE TABLE programme_draws (
    id uuid PRIMARY KEY,
    programme_id uuid NOT NULL REFERENCES programmes (id),
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    kind text NOT NULL CHECK (kind IN ('lottery', 'all_admitted')),
    -- 'operator': an admin ran it; 'budget_returned': units came back to the budget.
    cause text NOT NULL CHECK (cause IN ('operator', 'budget_returned')),
    seed bigint NOT NULL,
    budget_left bigint NOT NULL,
    entrant_ids uuid[] NOT NULL,
    entrant_tickets text[] NOT NULL,
    -- What each entrant's application costs (rupiah), as the greedy taking read it.
    entrant_costs bigint[] NOT NULL,
    winner_ids uuid[] NOT NULL,
    winner_tickets text[] NOT NULL,
    CHECK (cardinality(entrant_ids) = cardinality(entrant_tickets)),
    CHECK (cardinality(entrant_ids) = cardinality(entrant_costs)),
    CHECK (cardinality(winner_ids) = cardinality(winner_tickets)),
    CHECK (cardinality(winner_ids) <= cardinality(entrant_ids))
);
CREATE INDEX programme_draws_of_programme ON programme_draws (programme_id, at);
