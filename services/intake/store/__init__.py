"""Every SQL statement of intake, a module per kind of row, and the unit of work that writes
what a request or a consumed batch holds a kind at a time (`unit_of_work.UnitOfWork`)."""


class Taken(Exception):
    """A row the unit of work held could not be written: its key was taken meanwhile, by a
    transaction that committed between the use case's read and this one's write. `kind` names
    the key (`hub`, `product`, `producer`, `producer_phone`); `keys` are the ones taken."""

    def __init__(self, kind: str, keys: list[str]) -> None:
        super().__init__(f"{kind} taken: {', '.join(keys)}")
        self.kind = kind
        self.keys = keys


def columns(rows: list[tuple], width: int) -> list[list]:
    """Rows as the column arrays `unnest` takes."""
    return [[row[n] for row in rows] for n in range(width)]
