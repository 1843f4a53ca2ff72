"""A hub's opening hours: one period a weekday at most ("mon" 08:00-16:00), a day left out is
closed. Simple enough to type in seven rows of a form, and read back to a buyer grouped:
"Senin–Jumat: 08.00–16.00", "Sabtu: 08.00–12.00", "Minggu: tutup".

Intake validates them (its API), the console fills its form from them, the buyers' site shows
them: all through this one module, so what is taken in is what is shown.
"""

from collections.abc import Iterable, Mapping
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError
from typing_extensions import TypeAliasType

from shared.fields import ClockTime
from shared.problems import Text

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = TypeAliasType("Weekday", Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
DAY_NAMES = {
    "mon": Text("Senin", "Monday"),
    "tue": Text("Selasa", "Tuesday"),
    "wed": Text("Rabu", "Wednesday"),
    "thu": Text("Kamis", "Thursday"),
    "fri": Text("Jumat", "Friday"),
    "sat": Text("Sabtu", "Saturday"),
    "sun": Text("Minggu", "Sunday"),
}


class Opening(BaseModel):
    """One weekday's period: open from `opens` until `closes`, the same day."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    day: Weekday
    opens: ClockTime
    closes: ClockTime

    @model_validator(mode="after")
    def _closes_after_it_opens(self) -> "Opening":
        # Same-width "HH:MM" strings compare as the times they are.
        if self.closes <= self.opens:
            raise PydanticCustomError("closes_before_opens", "must close after it opens")
        return self


def _each_day_once(periods: list[Opening]) -> list[Opening]:
    """In weekday order; a day given twice is a typo (one period a day)."""
    seen: set[str] = set()
    for period in periods:
        if period.day in seen:
            raise PydanticCustomError("day_twice", "{day} is given twice", {"day": period.day})
        seen.add(period.day)
    return sorted(periods, key=lambda period: DAYS.index(period.day))


OpeningHours = Annotated[list[Opening], Field(max_length=7), AfterValidator(_each_day_once)]


def _shown(clock: str, lang: str) -> str:
    """Indonesian writes 08.00, English 08:00."""
    return clock.replace(":", ".") if lang == "id" else clock


def _days(first: str, last: str, lang: str) -> str:
    names = [
        DAY_NAMES[day].in_language(lang) for day in DAYS[DAYS.index(first) : DAYS.index(last) + 1]
    ]
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]}, {names[1]}"
    return f"{names[0]}–{names[-1]}"


def lines(periods: Iterable[Mapping[str, str] | Opening]) -> list[Text]:
    """The week as a buyer reads it, consecutive days with the same hours on one line; no
    lines at all when no day is given (the hours are not known yet)."""
    by_day = {}
    for period in periods:
        given = period.model_dump() if isinstance(period, Opening) else period
        by_day[given["day"]] = (given["opens"], given["closes"])
    if not by_day:
        return []
    runs: list[tuple[str, str, tuple[str, str] | None]] = []
    for day in DAYS:
        hours = by_day.get(day)
        if runs and runs[-1][2] == hours:
            runs[-1] = (runs[-1][0], day, hours)
        else:
            runs.append((day, day, hours))
    return [
        Text(*(_line(first, last, hours, lang) for lang in ("id", "en")))
        for first, last, hours in runs
    ]


def _line(first: str, last: str, hours: tuple[str, str] | None, lang: str) -> str:
    days = _days(first, last, lang)
    if hours is None:
        return f"{days}: {'tutup' if lang == 'id' else 'closed'}"
    return f"{days}: {_shown(hours[0], lang)}–{_shown(hours[1], lang)}"


def from_form(form: Mapping[str, str]) -> tuple[list[dict[str, str]], dict[str, Text]]:
    """A form's seven rows (`opens_mon`, `closes_mon`, ...; both empty: closed) as the API's
    list, with "08.00" taken as 08:00; and the rows with only one time, by their field."""
    periods, errors = [], {}
    for day in DAYS:
        opens, closes = (
            str(form.get(f"{end}_{day}", "")).strip().replace(".", ":")
            for end in ("opens", "closes")
        )
        if not opens and not closes:
            continue
        if not opens or not closes:
            missing = "opens" if not opens else "closes"
            errors[f"{missing}_{day}"] = Text(
                f"{DAY_NAMES[day].indonesian}: isi jam buka dan jam tutup, atau kosongkan keduanya",
                f"{DAY_NAMES[day].english}: give the opening and the closing time, or neither",
            )
            continue
        periods.append({"day": day, "opens": _padded(opens), "closes": _padded(closes)})
    return periods, errors


def _padded(clock: str) -> str:
    """ "8:00" as "08:00"; anything else as typed, for the API to refuse by name."""
    hours, _, minutes = clock.partition(":")
    return f"{int(hours):02d}:{minutes}" if hours.isdecimal() and len(hours) == 1 else clock


def form_values(periods: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """The form's fields for stored hours (every day's two boxes, empty when closed)."""
    values = {f"{end}_{day}": "" for day in DAYS for end in ("opens", "closes")}
    for period in periods:
        values[f"opens_{period['day']}"] = period["opens"]
        values[f"closes_{period['day']}"] = period["closes"]
    return values
