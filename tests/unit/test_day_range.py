"""Which days `GET /v1/hubs/{hub}/days` answers for (services/allocator/http/day_api.py)."""

from datetime import date

import pytest

from services.allocator.http.day_api import day_range
from shared.problems import Problem

TODAY = date(2026, 11, 28)


def test_by_default_the_thirty_days_up_to_today():
    assert day_range(None, None, TODAY) == (date(2026, 10, 30), TODAY)


def test_either_end_alone_gives_thirty_days_from_or_up_to_it():
    assert day_range(date(2026, 1, 1), None, TODAY) == (date(2026, 1, 1), date(2026, 1, 30))
    assert day_range(None, date(2026, 1, 30), TODAY) == (date(2026, 1, 1), date(2026, 1, 30))


def test_ninety_two_days_at_most_and_never_backwards():
    assert day_range(date(2026, 1, 1), date(2026, 4, 2), TODAY)[1] == date(2026, 4, 2)
    for first, last, code in [
        (date(2026, 1, 1), date(2026, 4, 3), "range_too_long"),
        (date(2026, 3, 2), date(2026, 3, 1), "range_reversed"),
    ]:
        with pytest.raises(Problem) as refused:
            day_range(first, last, TODAY)
        assert [(e.field, e.code) for e in refused.value.errors] == [("to", code)]


def test_the_ends_of_the_calendar_do_not_break_it():
    assert day_range(None, date(1, 1, 3), TODAY) == (date.min, date(1, 1, 3))
    assert day_range(date(9999, 12, 30), None, TODAY) == (date(9999, 12, 30), date.max)
