"""How often a source may try a username's password: five attempts at once, then each one
more waits twice as long as the last (30 s, 1 min, 2 min... up to 15 min); a right password
starts the count again, an hour without attempts forgets it.

Counted per (username, source address), so a stranger guessing an operator's password slows
down only the stranger; the operator signs in from their own desk as usual. An attempt is
reserved in Postgres, in one statement, before its password is checked: concurrent sign-ins
queue on the row, and past the free ones each finds the wait set by the one before it, so a
burst of forty checks five passwords, not fourteen.
"""

from datetime import timedelta

import asyncpg

FREE_ATTEMPTS = 5
FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)
# Usernames are at most 32 characters: a longer one is no one's, and is not kept whole.
KEPT_USERNAME = 64

# Granted (a row returned) only while the source's wait is over; the n-th attempt granted sets
# the wait before the next: none up to the free ones, then FIRST_WAIT doubled each time.
RESERVE = """
INSERT INTO sign_in_attempts AS a (username, source, attempts, not_before, last_at)
VALUES ($1, $2, 1, clock_timestamp(), clock_timestamp())
ON CONFLICT (username, source) DO UPDATE
SET attempts = a.attempts + 1,
    last_at = clock_timestamp(),
    not_before = clock_timestamp() + CASE
        WHEN a.attempts + 1 < $3::integer THEN interval '0'
        ELSE least($5::interval, $4::interval * power(2, least(a.attempts + 1 - $3::integer, 20)))
    END
WHERE a.not_before <= clock_timestamp()
RETURNING attempts
"""
WAIT = """
SELECT greatest(extract(epoch FROM not_before - clock_timestamp()), 0)
FROM sign_in_attempts WHERE username = $1 AND source = $2
"""
# A right password: the count starts again.
CLEAR = "DELETE FROM sign_in_attempts WHERE username = $1 AND source = $2"
# Rows go an hour after their last attempt (longer than any wait), when anyone signs in.
SWEEP = "DELETE FROM sign_in_attempts WHERE last_at < clock_timestamp() - $1::interval"


def _key(username: str) -> str:
    return username.strip().lower()[:KEPT_USERNAME]


async def reserve(conn: asyncpg.Connection, username: str, source: str) -> float:
    """0 when this attempt may check its password; else the seconds the source must wait."""
    await conn.execute(SWEEP, FORGET_AFTER)
    granted = await conn.fetchval(
        RESERVE, _key(username), source, FREE_ATTEMPTS, FIRST_WAIT, LONGEST_WAIT
    )
    if granted is not None:
        return 0.0
    wait = await conn.fetchval(WAIT, _key(username), source)
    return max(float(wait or 0), 1.0)


async def clear(conn: asyncpg.Connection, username: str, source: str) -> None:
    await conn.execute(CLEAR, _key(username), source)
