"""The storefront's SQL: phone checks, the codes sent (for the limits), the orders placed here."""

# Old checks and old sends go when anyone asks for a code: no timer for tables this small.
SWEEP_CHECKS = "DELETE FROM phone_checks WHERE created_at < now() - interval '1 day'"
SWEEP_SENT = "DELETE FROM codes_sent WHERE sent_at < now() - interval '1 hour'"

# Sends for one phone queue behind each other, so two at once cannot both slip under a limit.
LOCK_PHONE = "SELECT pg_advisory_xact_lock(hashtextextended(encode($1::bytea, 'hex'), 7))"

# When the phone's and the address's next code may go: the time the `limit`-th latest send of
# the hour leaves it; NULL while under the limit.
FREE_AT = """
SELECT
    (SELECT sent_at + interval '1 hour' FROM codes_sent
     WHERE phone_key = $1 AND sent_at > now() - interval '1 hour'
     ORDER BY sent_at DESC OFFSET $3 - 1 LIMIT 1) AS phone_free_at,
    (SELECT sent_at + interval '1 hour' FROM codes_sent
     WHERE address = $2 AND sent_at > now() - interval '1 hour'
     ORDER BY sent_at DESC OFFSET $4 - 1 LIMIT 1) AS address_free_at,
    now() AS now
"""
SENT_INSERT = "INSERT INTO codes_sent (phone_key, address) VALUES ($1, $2)"

CHECK_INSERT = """
INSERT INTO phone_checks (id, purpose, phone, phone_key, browser_hash, code_hash, expires_at,
                          intent)
VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7), $8)
"""
CHECK_FOR_UPDATE = """
SELECT *, now() AS now FROM phone_checks WHERE id = $1 AND browser_hash = $2 FOR UPDATE
"""
CHECK_READ = "SELECT *, now() AS now FROM phone_checks WHERE id = $1 AND browser_hash = $2"
# A new code for the same check: a fresh deadline and fresh tries.
CHECK_RESENT = """
UPDATE phone_checks
SET code_hash = $2, sent_at = now(), expires_at = now() + make_interval(secs => $3),
    wrong_tries = 0
WHERE id = $1
"""
WRONG_TRY = """
UPDATE phone_checks SET wrong_tries = wrong_tries + 1 WHERE id = $1 RETURNING wrong_tries
"""
# What the buyer typed is not kept past the order it became; a cancel's intent names no one.
VERIFIED = """
UPDATE phone_checks
SET verified_at = now(), intent = CASE WHEN purpose = 'order' THEN '{}' ELSE intent END
WHERE id = $1
"""

TRACKING_OF_CHECK = "SELECT code FROM tracking_codes WHERE phone_check_id = $1"
# The code is the one the orders API gave the order (migration 0002).
TRACKING_INSERT = """
INSERT INTO tracking_codes (code, order_id, phone_check_id, phone_key) VALUES ($1, $2, $3, $4)
"""
# A code this site drew before codes were the orders service's.
ORDER_OF_CODE_DRAWN_HERE = "SELECT order_id FROM tracking_codes WHERE code = $1 AND drawn_here"
# Whether the order was placed here: only then does the site know the phone to cancel it with.
PLACED_HERE = "SELECT EXISTS (SELECT 1 FROM tracking_codes WHERE order_id = $1)"
ORDERS_OF_PHONE = """
SELECT order_id FROM tracking_codes WHERE phone_key = $1
ORDER BY placed_at DESC LIMIT $2
"""
