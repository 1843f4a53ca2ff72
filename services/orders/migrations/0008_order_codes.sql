-- Every order's code (shared/order_codes.py): 10 characters of Crockford's base32, kept without
-- the dash, that a buyer reads over the phone, types at the counter or opens as a link. The
-- database draws it, so every way an order is placed gets one. 50 bits from gen_random_uuid()'s
-- strong random bytes: ten of its bytes that carry no version or variant bits, each taken mod 32
-- (256 is a multiple of 32, so every character is equally likely).
CREATE FUNCTION new_order_code() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT string_agg(
        substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', get_byte(r.b, i) % 32 + 1, 1), '' ORDER BY i
    )
    FROM (SELECT uuid_send(gen_random_uuid()) AS b) r,
         unnest(ARRAY[0, 1, 2, 3, 4, 5, 9, 10, 11, 12]) AS i
$$;

ALTER TABLE orders ADD COLUMN code text;
UPDATE orders SET code = new_order_code();
-- Two existing orders drawing the same code (about 1 in 10^15 a pair): the later draws again.
DO $$
BEGIN
    WHILE EXISTS (SELECT 1 FROM orders GROUP BY code HAVING count(*) > 1) LOOP
        UPDATE orders o SET code = new_order_code()
        WHERE o.id IN (
            SELECT id FROM (
                SELECT id, row_number() OVER (PARTITION BY code ORDER BY sequence) AS n FROM orders
            ) d WHERE d.n > 1
        );
    END LOOP;
END
$$;
-- A new order drawing a taken code fails on orders_code_key; its placement draws again
-- (services/orders/group_commit.py).
ALTER TABLE orders
    ALTER COLUMN code SET DEFAULT new_order_code(),
    ALTER COLUMN code SET NOT NULL,
    ADD CONSTRAINT orders_code_key UNIQUE (code),
    ADD CONSTRAINT orders_code_shape CHECK (code ~ '^[0-9A-HJKMNP-TV-Z]{10}$');
