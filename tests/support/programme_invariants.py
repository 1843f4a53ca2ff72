"""The free-mask programmes' invariants, read from the orders schema (migration 0012): what the
fault suite checks after every fault (tests/faults/ledger.py), and the integration tests after
racing applications.

- no programme's committed + spent passes its budget;
- no recipient has two live (not cancelled) applications to one programme;
- no recipient is owed or was given more than its programme allows: the quantities of its live
  applications and the units handed over on its cancelled ones.
"""

import asyncpg

OVER_BUDGET = """
SELECT p.id, p.budget, b.committed, b.spent
FROM orders.programmes p CROSS JOIN LATERAL orders.programme_budget(p.id) b
WHERE b.committed < 0 OR b.spent < 0 OR b.committed + b.spent > p.budget
"""
OVER_PER_RECIPIENT = """
SELECT o.programme_id, count(*) FILTER (WHERE o.cancelled_at IS NULL) AS live,
       sum(CASE WHEN o.cancelled_at IS NULL THEN o.quantity
                ELSE least(o.fulfilled, o.quantity) END) AS units,
       p.units_per_recipient
FROM orders.orders o JOIN orders.programmes p ON p.id = o.programme_id
GROUP BY o.programme_id, o.programme_recipient, p.units_per_recipient
HAVING count(*) FILTER (WHERE o.cancelled_at IS NULL) > 1
    OR sum(CASE WHEN o.cancelled_at IS NULL THEN o.quantity
                ELSE least(o.fulfilled, o.quantity) END) > p.units_per_recipient
"""


async def programmes_hold(conn: asyncpg.Connection) -> None:
    over = await conn.fetch(OVER_BUDGET)
    assert not over, f"programmes over budget: {[dict(row) for row in over]}"
    past = await conn.fetch(OVER_PER_RECIPIENT)
    assert not past, f"recipients past their programme's limits: {[dict(row) for row in past]}"
