"""Opening hours: what an operator types in the console's seven rows, what the API takes, and the
lines a buyer reads in either language."""

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.opening_hours import DAYS, OpeningHours, form_values, from_form, lines

HOURS = TypeAdapter(OpeningHours)


def week(**days: tuple[str, str]) -> list[dict[str, str]]:
    return [{"day": day, "opens": opens, "closes": closes} for day, (opens, closes) in days.items()]


def shown(periods: list[dict[str, str]], lang: str) -> list[str]:
    return [line.in_language(lang) for line in lines(periods)]


def test_days_with_the_same_hours_are_read_as_one_line():
    working = dict.fromkeys(("mon", "tue", "wed", "thu"), ("08:00", "15:00"))
    periods = week(**working, fri=("08:00", "11:30"), sat=("08:00", "12:00"))

    assert shown(periods, "id") == [
        "Senin–Kamis: 08.00–15.00",
        "Jumat: 08.00–11.30",
        "Sabtu: 08.00–12.00",
        "Minggu: tutup",
    ]
    assert shown(periods, "en")[0] == "Monday–Thursday: 08:00–15:00"
    assert shown(periods, "en")[-1] == "Sunday: closed"


def test_two_days_are_named_both_and_closed_days_between_open_ones_are_said():
    periods = week(sat=("09:00", "12:00"), sun=("09:00", "12:00"), tue=("08:00", "16:00"))

    assert shown(periods, "id") == [
        "Senin: tutup",
        "Selasa: 08.00–16.00",
        "Rabu–Jumat: tutup",
        "Sabtu, Minggu: 09.00–12.00",
    ]


def test_every_day_the_same_is_one_line_and_no_hours_is_no_line():
    assert shown(week(**dict.fromkeys(DAYS, ("07:00", "21:00"))), "id") == [
        "Senin–Minggu: 07.00–21.00"
    ]
    assert lines([]) == []


def test_the_api_takes_them_in_any_order_and_keeps_them_in_weekday_order():
    taken = HOURS.validate_python(week(sun=("08:00", "09:00"), mon=("00:00", "23:59")))
    assert [period.day for period in taken] == ["mon", "sun"]


@pytest.mark.parametrize(
    ("periods", "code"),
    [
        (week(mon=("16:00", "08:00")), "closes_before_opens"),
        (week(mon=("08:00", "08:00")), "closes_before_opens"),
        (week(mon=("8:00", "16:00")), "string_pattern_mismatch"),
        (week(mon=("08:00", "24:00")), "string_pattern_mismatch"),
        (week(mon=("08:00", "16:00\n")), "string_pattern_mismatch"),
        ([{"day": "Mon", "opens": "08:00", "closes": "16:00"}], "literal_error"),
        ([{"day": "mon", "opens": "08:00"}], "missing"),
        ([{"day": "mon", "opens": "08:00", "closes": "16:00", "note": "x"}], "extra_forbidden"),
        (week(mon=("08:00", "12:00")) * 2, "day_twice"),
        (week(mon=("08:00", "12:00")) * 8, "too_long"),
    ],
)
def test_what_the_api_refuses(periods: list, code: str):
    with pytest.raises(ValidationError) as refused:
        HOURS.validate_python(periods)
    assert code in {error["type"] for error in refused.value.errors()}


def test_the_form_gives_the_api_list_taking_dots_and_one_digit_hours():
    form = {"opens_mon": " 8.00", "closes_mon": "15.30", "opens_sat": "", "closes_sat": ""}
    assert from_form(form) == ([{"day": "mon", "opens": "08:00", "closes": "15:30"}], {})


def test_a_row_with_one_time_is_an_error_beside_the_missing_box():
    periods, errors = from_form({"opens_fri": "08:00", "closes_tue": "12:00"})
    assert periods == []
    assert set(errors) == {"closes_fri", "opens_tue"}
    assert errors["closes_fri"].indonesian.startswith("Jumat")


def test_what_is_typed_wrong_goes_to_the_api_as_typed_to_be_refused_by_name():
    periods, _ = from_form({"opens_mon": "jam 8", "closes_mon": "99:99"})
    assert periods == [{"day": "mon", "opens": "jam 8", "closes": "99:99"}]
    with pytest.raises(ValidationError):
        HOURS.validate_python(periods)


def test_stored_hours_fill_the_form_back():
    values = form_values(week(wed=("08:00", "12:00")))
    assert values["opens_wed"] == "08:00" and values["closes_wed"] == "12:00"
    assert values["opens_mon"] == "" and len(values) == 14
    assert from_form(values)[0] == week(wed=("08:00", "12:00"))
