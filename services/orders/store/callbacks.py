"""The status callbacks' SQL: the worker's claims and outcomes (callbacks/worker.py), the
partners' pages and replays (callbacks/api.py). The rows themselves come from the trigger of
migration 0004."""

from shared.pruning import deleting

# Claims take turns across replicas, so each sees the leases the others just took and the
# per-partner cap holds; a claim is one short transaction.
CLAIM_TURN = "SELECT pg_advisory_xact_lock(hashtext('orders:callbacks:claim'))"
# $1: the per-partner cap, $2: how many this worker can take, $3: the lease in seconds.
# Partners take turns: every partner's oldest due callback comes before anyone's second.
# The state and lease are checked again on the locked row, which may have changed meanwhile.
CLAIM = """
WITH in_flight AS (
    SELECT partner_id, count(*) AS leased
    FROM callbacks
    WHERE state = 'pending' AND leased_until > now()
    GROUP BY partner_id
),
due AS (
    SELECT id, partner_id, next_attempt_at,
           row_number() OVER (PARTITION BY partner_id ORDER BY next_attempt_at, id) AS place
    FROM callbacks
    WHERE state = 'pending'
      AND next_attempt_at <= now()
      AND (leased_until IS NULL OR leased_until <= now())
),
chosen AS (
    SELECT callbacks.id
    FROM callbacks
    JOIN due ON due.id = callbacks.id
    LEFT JOIN in_flight ON in_flight.partner_id = due.partner_id
    WHERE due.place + coalesce(in_flight.leased, 0) <= $1
      AND callbacks.state = 'pending'
      AND (callbacks.leased_until IS NULL OR callbacks.leased_until <= now())
    ORDER BY due.place, due.next_attempt_at
    LIMIT $2
    FOR UPDATE OF callbacks SKIP LOCKED
)
UPDATE callbacks
SET leased_until = now() + make_interval(secs => $3), attempts = callbacks.attempts + 1
FROM chosen, partners
WHERE callbacks.id = chosen.id AND partners.id = callbacks.partner_id
RETURNING callbacks.id, callbacks.partner_id, callbacks.previous_status, callbacks.order_snapshot,
          callbacks.created_at, callbacks.attempts, callbacks.retrying_since,
          partners.callback_url, partners.callback_secret
"""
# Both outcomes count only for the attempt that holds the row: one whose lease ran out while
# the partner was slow may have been claimed again since. A delivery, and a give-up, go into
# the order's history in the same statement.
_CALLBACK_HISTORY = """
INSERT INTO order_history (order_id, at, kind, detail)
SELECT order_id, now(), '{kind}', jsonb_build_object(
    'callback_id', id, 'partner_id', partner_id, 'previous_status', previous_status,
    'status', status, 'attempts', attempts, 'http_status', last_status, 'error', last_error)
FROM outcome
"""
DELIVERED = """
WITH outcome AS (
    UPDATE callbacks
    SET state = 'delivered', delivered_at = now(), last_status = $3, last_error = NULL,
        leased_until = NULL
    WHERE id = $1 AND attempts = $2
    RETURNING *
)
""" + _CALLBACK_HISTORY.format(kind="callback_sent")
# $3: the next attempt, or null to give up; $6: the window the attempt was claimed in. A replay
# while the attempt was under way opened a new window, which keeps the replay's "due now".
ATTEMPT_FAILED = f"""
WITH attempt AS (
    UPDATE callbacks
    SET state = CASE WHEN $3::timestamptz IS NULL AND retrying_since = $6 THEN 'failed'
                     ELSE 'pending' END,
        next_attempt_at = CASE WHEN retrying_since = $6 THEN coalesce($3, next_attempt_at)
                               ELSE next_attempt_at END,
        last_status = $4, last_error = $5, leased_until = NULL
    WHERE id = $1 AND attempts = $2
    RETURNING *
), outcome AS (
    SELECT * FROM attempt WHERE state = 'failed'
), given_up AS ({_CALLBACK_HISTORY.format(kind="callback_failed")})
SELECT state, next_attempt_at FROM attempt
"""

_RECORD_COLUMNS = """
id, partner_id, order_id, previous_status, status, state, attempts, created_at,
CASE WHEN state = 'pending' THEN next_attempt_at END AS next_attempt_at,
delivered_at, last_status, last_error, order_snapshot AS "order"
"""
# Newest first, of one partner ($1) or of all (NULL); a page goes on from the callback named
# by `before` ($3).
CALLBACKS_PAGE = f"""
SELECT {_RECORD_COLUMNS}
FROM callbacks
WHERE ($1::uuid IS NULL OR partner_id = $1)
  AND state = ANY($2::text[])
  AND ($3::uuid IS NULL OR (created_at, id) < (
      SELECT created_at, id FROM callbacks WHERE id = $3 AND ($1::uuid IS NULL OR partner_id = $1)
  ))
ORDER BY created_at DESC, id DESC
LIMIT $4
"""
# Due at once, and a new give-up window from now.
CALLBACK_REPLAY = f"""
UPDATE callbacks
SET state = 'pending', next_attempt_at = now(), retrying_since = now()
WHERE id = $1 AND ($2::uuid IS NULL OR partner_id = $2)
RETURNING {_RECORD_COLUMNS}
"""
WAKE_SENDERS = "SELECT pg_notify($1, '')"
# Delivered or given up on: a pending callback is kept, however old.
FORGET_SETTLED = deleting("callbacks", "state <> 'pending' AND created_at < now() - $1::interval")
