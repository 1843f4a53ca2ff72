"""Several statements that change rows, sent as one (shared/db.py): each part's parameters
are numbered on after the last part's."""

from shared.db import in_one_statement


def test_each_part_numbers_its_parameters_after_the_parts_before_it():
    statement = in_one_statement(
        ("INSERT INTO a SELECT $1, $2", "INSERT INTO b SELECT $1, $3, $2"), "SELECT 1"
    )

    assert statement == (
        "WITH change_0 AS (INSERT INTO a SELECT $1, $2), "
        "change_1 AS (INSERT INTO b SELECT $3, $5, $4)\nSELECT 1"
    )


def test_a_part_without_parameters_moves_no_number():
    statement = in_one_statement(("DELETE FROM a", "INSERT INTO b SELECT $1"), "SELECT 1")

    assert "INSERT INTO b SELECT $1)" in statement
