"""When a standing order's occurrences fall due: plain data and arithmetic, no I/O.

The rules (README "Standing orders"):
- Occurrence n (1, 2, ...) falls on the start date plus n-1 days, weeks or months, in the hub's
  calendar, at the series' time of day there: so 08:00 stays 08:00 across a change of daylight.
- Monthly on a day a month lacks (the 29th to the 31st) falls on that month's last day, and the
  month after goes back to the day asked: 31 Jan, 28 Feb, 31 Mar (never drifting to the 28th).
- A time of day that a change of daylight skips (02:30 the night clocks go forward) falls due
  at the instant the clocks jump past it; one that happens twice (clocks go back), the first.
- The series ends at its end date (an occurrence on that date is the last) or after its count.
- Paused, nothing falls due; resumed, what fell due meanwhile is skipped, not made up later:
  resuming moves `next_number` past every occurrence due by then (`first_after`).
"""

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Every = Literal["day", "week", "month"]
# However long a series was kept from running, one tick makes at most this many occurrences;
# the next tick makes the rest.
MOST_AT_ONCE = 100


@dataclass(frozen=True)
class Series:
    """What the schedule needs of a standing order."""

    every: Every
    starts_on: date
    at: time  # the time of day in the hub's zone
    zone: ZoneInfo
    ends_on: date | None = None
    count: int | None = None
    next_number: int = 1  # the first occurrence not yet made (or skipped)
    active: bool = True  # False: paused or cancelled


def date_of(series: Series, number: int) -> date:
    """The hub's calendar date of occurrence `number` (1 is the start date)."""
    steps = number - 1
    if series.every == "day":
        return series.starts_on + timedelta(days=steps)
    if series.every == "week":
        return series.starts_on + timedelta(weeks=steps)
    months = series.starts_on.month - 1 + steps
    year, month = series.starts_on.year + months // 12, months % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(series.starts_on.day, last_day))


def due_at(series: Series, number: int) -> datetime:
    """The instant (UTC) occurrence `number` falls due."""
    local = datetime.combine(date_of(series, number), series.at, tzinfo=series.zone)
    # A wall time the clocks skip has no instant: the round trip through UTC lands it where
    # `fold` says; fold=0 reads it with the offset before the jump, which is the instant the
    # clocks jump past it. A repeated wall time with fold=0 is its first instant.
    return local.astimezone(UTC)


def exists(series: Series, number: int) -> bool:
    """Whether the series has an occurrence `number` at all (its end date and count)."""
    if number < 1 or (series.count is not None and number > series.count):
        return False
    try:
        on = date_of(series, number)
    except (OverflowError, ValueError):  # past the year 9999: no calendar has it
        return False
    return series.ends_on is None or on <= series.ends_on


def due_occurrences(
    series: Series, now: datetime, most: int = MOST_AT_ONCE
) -> list[tuple[int, datetime]]:
    """The occurrences due by `now` and not yet made: (number, due instant), in order."""
    if not series.active:
        return []
    due: list[tuple[int, datetime]] = []
    number = series.next_number
    while len(due) < most and exists(series, number):
        when = due_at(series, number)
        if when > now:
            break
        due.append((number, when))
        number += 1
    return due


def first_after(series: Series, now: datetime) -> int:
    """The number of the first occurrence due after `now`, from `next_number` on: where a series
    placed or resumed at `now` goes on (what fell due before is skipped). Past its last
    occurrence, one more than that."""
    number = max(series.next_number, 1)
    while exists(series, number) and due_at(series, number) <= now:
        number += 1
    return number


def finished(series: Series) -> bool:
    """Every occurrence made (or skipped): nothing left to fall due."""
    return not exists(series, series.next_number)
