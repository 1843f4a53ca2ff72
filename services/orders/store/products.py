"""The per-product lock: one transaction advisory lock per (hub, sku), which every transaction
that inserts orders takes before the insert draws their `placed_at` and `sequence` (issue 22).

So the placing transactions of one product take turns: one commits before the next draws, and
per product the commit order, the queue order (placed_at, sequence) and the outbox's id order
are one order, which the relays keep (shared/outbox.py). The window admin takes the same lock
(api/windows.py), so a window opened meanwhile is seen whole by the next placing of the product.

A programme's application is inserted under the lock too, but its order.placed leaves when it
is admitted, in the order of admission (programmes/handlers.py `admit`).

Taken inside a statement that is sent anyway (the keys' claim, the windows' read, the insert),
as a one-time filter: Postgres evaluates it once, before the statement reads or writes a row.
Sorted and in one statement, so two transactions never wait on each other in a cycle: a batch's
first statement locks all its products; later ones take them again (held: no wait).
"""

_KEY = "hashtextextended('product' || chr(10) || {hub} || chr(10) || {sku}, 0)"
# The one product of $1 and $2.
PRODUCT_LOCK = f"SELECT pg_advisory_xact_lock({_KEY.format(hub='$1', sku='$2')})"


def products_locked(hubs: str, skus: str) -> str:
    """A condition, always true, that locks each (hub, sku) of the two text-array parameters
    (`hubs`, `skus`: "$2", "$3"), once each, in sorted order, when the statement starts."""
    key = _KEY.format(hub="p.hub", sku="p.sku")
    return f"""(
    SELECT count(pg_advisory_xact_lock({key}))
    FROM (SELECT DISTINCT hub, sku FROM unnest({hubs}::text[], {skus}::text[]) AS p(hub, sku)
          ORDER BY hub, sku) AS p
) >= 0"""
