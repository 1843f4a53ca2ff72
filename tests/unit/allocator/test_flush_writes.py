"""The allocator's flush sends consecutive kinds of row as one statement only where they touch
different tables (store/writes.py): a part of a statement never sees another's rows."""

from services.allocator.store import writes
from services.allocator.store.writes import BUYER_DAYS, QUEUE, Write
from shared import outbox


def write(statement: str, *tables: str | frozenset) -> Write:
    touched = frozenset().union(*(t if isinstance(t, frozenset) else {t} for t in tables))
    return Write(statement, [], touched)


def test_kinds_on_different_tables_go_together_in_their_order():
    given = [write("A", "allocations"), write("L", "lots"), write("Q", QUEUE)]
    assert writes._groups(given) == [given]


def test_a_kind_on_a_table_already_written_starts_the_next_statement():
    fill = [write("A", "allocations"), write("L", "lots"), write("Q", QUEUE)]
    days, stored = write("D", BUYER_DAYS), Write(outbox.OUTBOX_ROWS, [], frozenset({"outbox"}))
    # buyer_days' trigger reads what the queue's wrote: it waits for the queue's statement.
    assert writes._groups([*fill, days, stored]) == [fill, [days, stored]]
    assert writes._groups([write("C", QUEUE), write("F", QUEUE)]) == [
        [write("C", QUEUE)],
        [write("F", QUEUE)],
    ]
