"""Rows as the column arrays `unnest` takes: one round trip writes a batch of one kind."""


def columns(rows: list[tuple], width: int) -> list[list]:
    return [[row[n] for row in rows] for n in range(width)]
