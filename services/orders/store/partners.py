"""Partners and their keys: the SQL of partners/keys.py, and the key check of auth.py."""

PARTNER_INSERT = """
INSERT INTO partners
    (id, name, hubs, scopes, callback_url, callback_secret, requests_per_minute, buyer_types)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING *
"""
# $2, $4: whether the field was given (a field left out keeps its value).
PARTNER_UPDATE = """
UPDATE partners
SET buyer_types = CASE WHEN $2 THEN $3 ELSE buyer_types END,
    callback_url = CASE WHEN $4 THEN $5 ELSE callback_url END,
    scopes = CASE WHEN $6 THEN $7 ELSE scopes END
WHERE id = $1
RETURNING *
"""
PARTNERS = "SELECT * FROM partners ORDER BY created_at, id"
PARTNER_BY_ID = "SELECT * FROM partners WHERE id = $1"
KEY_INSERT = "INSERT INTO partner_keys (prefix, partner_id, key_hash) VALUES ($1, $2, $3)"
KEYS_OF_PARTNERS = """
SELECT partner_id, prefix, created_at, expires_at, revoked_at
FROM partner_keys WHERE partner_id = ANY($1::uuid[])
ORDER BY created_at, prefix
"""
# The partner's keys that are good now stay good for `$2` seconds more, not after.
KEYS_EXPIRE = """
UPDATE partner_keys
SET expires_at = least(expires_at, now() + make_interval(secs => $2))
WHERE partner_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
"""
KEY_REVOKE = """
UPDATE partner_keys SET revoked_at = coalesce(revoked_at, now())
WHERE partner_id = $1 AND prefix = $2
RETURNING prefix
"""

# One round trip: the key's partner (with the buyer types it may declare), if the key is good,
# and whether this request is within the key's rate. A rotated-out key has `expires_at` set.
# The rate is GCRA: each request pushes the key's theoretical arrival time (tat) on by one step
# (a minute / requests_per_minute) and is let in while tat stays within a minute of now; so a
# key may spend its minute at once, then goes on at the steady rate. A refused request moves
# nothing, and `wait_seconds` says how long until one step fits again. The hash is compared in
# SQL: it is of 256 random bits, and a request with a wrong secret must not spend the key's rate.
PARTNER_OF_KEY = """
WITH good AS (
    SELECT k.prefix, p.id, p.hubs, p.scopes, p.buyer_types, p.requests_per_minute,
           interval '1 minute' / p.requests_per_minute AS step
    FROM partner_keys k JOIN partners p ON p.id = k.partner_id
    WHERE k.prefix = $1 AND k.key_hash = $2 AND k.revoked_at IS NULL
      AND (k.expires_at IS NULL OR k.expires_at > now())
), taken AS (
    INSERT INTO rate_limits AS r (prefix, tat)
    SELECT prefix, now() + step FROM good
    ON CONFLICT (prefix) DO UPDATE SET tat = greatest(r.tat, now()) + (excluded.tat - now())
    WHERE greatest(r.tat, now()) + (excluded.tat - now()) <= now() + interval '1 minute'
    RETURNING tat
)
SELECT good.id, good.hubs, good.scopes, good.buyer_types, good.requests_per_minute,
       EXISTS (SELECT FROM taken) AS within_rate,
       (SELECT extract(epoch FROM r.tat + good.step - interval '1 minute' - now())
        FROM rate_limits r WHERE r.prefix = good.prefix) AS wait_seconds
FROM good
"""
