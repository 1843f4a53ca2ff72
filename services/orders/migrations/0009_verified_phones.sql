-- The buyer's phone as a door that checked it recorded it (README "Partner scopes"): a key with
-- orders:cancel-verified is the centre's own door (the buyers' site, which places an order only
-- after the buyer typed the code sent to the phone; the chat, which orders for the number that
-- wrote). What it places keeps the buyer's phone here, as the orders API normalised it (E.164);
-- any other order none: a partner's or the counter's phone was typed, not checked. Such a key
-- may then cancel an order of its hubs whose verified phone is the one its request asserts.
-- Set on insert, from the scopes the placing key's partner holds then: a scope granted later
-- does not make its earlier orders' phones verified. Every way of placing goes through here.
ALTER TABLE orders ADD COLUMN verified_phone text;

-- The function keeps the schema it was made in: an insert from a session whose search_path is
-- another (a tool, an operator's psql) still finds this service's partners.
CREATE FUNCTION orders_verified_phone() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    NEW.verified_phone := CASE
        WHEN EXISTS (
            SELECT 1 FROM partners
            WHERE id = NEW.partner_id AND 'orders:cancel-verified' = ANY (scopes)
        ) THEN NEW.buyer->>'phone'
    END;
    RETURN NEW;
END
$$;

CREATE TRIGGER orders_verified_phone BEFORE INSERT ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_verified_phone();
