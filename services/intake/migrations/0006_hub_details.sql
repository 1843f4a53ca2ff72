-- Where and when buyers collect at a hub, and whether the public site takes orders there.
-- The hours are a list of {day, opens, closes} (shared/opening_hours.py checks them; a day left
-- out is closed). A hub takes the site's orders only once an operator says so, and only with an
-- address and hours to show the buyers who will collect there; hubs already open wait too.
ALTER TABLE hubs
    ADD COLUMN address text CHECK (char_length(address) BETWEEN 1 AND 200),
    ADD COLUMN opening_hours jsonb NOT NULL DEFAULT '[]'
        CHECK (jsonb_typeof(opening_hours) = 'array'),
    ADD COLUMN takes_site_orders boolean NOT NULL DEFAULT false,
    ADD COLUMN updated_at timestamptz,
    ADD CONSTRAINT site_orders_need_address_and_hours CHECK (
        NOT takes_site_orders OR (address IS NOT NULL AND opening_hours <> '[]')
    );
-- The site lists the hubs that take its orders.
CREATE INDEX hubs_taking_site_orders ON hubs (created_at, code) WHERE takes_site_orders;
