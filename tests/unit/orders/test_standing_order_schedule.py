"""Standing orders' schedule (services/orders/series/schedule.py): when each occurrence falls
due, in the hub's zone, across month ends and changes of daylight, and where a pause leaves it."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.orders.series.schedule import (
    Series,
    date_of,
    due_at,
    due_occurrences,
    finished,
    first_after,
)

JAKARTA = ZoneInfo("Asia/Jakarta")
BERLIN = ZoneInfo("Europe/Berlin")


def series(every="day", starts_on=date(2027, 1, 1), at=time(8), zone=JAKARTA, **rest) -> Series:
    return Series(every=every, starts_on=starts_on, at=at, zone=zone, **rest)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_daily_occurrences_fall_at_the_hubs_time_of_day():
    daily = series(count=10)
    # 08:00 in Jakarta is 01:00 UTC.
    assert due_at(daily, 1) == utc(2027, 1, 1, 1)
    assert due_occurrences(daily, utc(2027, 1, 1, 0, 59)) == []
    assert due_occurrences(daily, utc(2027, 1, 3, 1)) == [
        (1, utc(2027, 1, 1, 1)),
        (2, utc(2027, 1, 2, 1)),
        (3, utc(2027, 1, 3, 1)),
    ]


def test_weekly_and_the_end_date_includes_its_own_day():
    weekly = series(every="week", ends_on=date(2027, 1, 29))
    dates = [date_of(weekly, n) for n, _ in due_occurrences(weekly, utc(2028, 1, 1))]
    assert dates == [date(2027, 1, d) for d in (1, 8, 15, 22, 29)]


def test_the_count_ends_before_the_end_date_when_it_comes_first():
    both = series(count=3, ends_on=date(2027, 12, 31))
    assert [n for n, _ in due_occurrences(both, utc(2028, 1, 1))] == [1, 2, 3]
    assert finished(replace(both, next_number=4))
    assert not finished(replace(both, next_number=3))


def test_monthly_on_the_31st_falls_on_the_last_day_of_shorter_months_and_comes_back():
    monthly = series(every="month", starts_on=date(2027, 1, 31), count=6)
    assert [date_of(monthly, n) for n in range(1, 7)] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
        date(2027, 6, 30),
    ]
    leap = series(every="month", starts_on=date(2028, 1, 30), count=2)
    assert date_of(leap, 2) == date(2028, 2, 29)


def test_monthly_across_the_year_end():
    monthly = series(every="month", starts_on=date(2027, 11, 15), count=3)
    assert [date_of(monthly, n) for n in (1, 2, 3)] == [
        date(2027, 11, 15),
        date(2027, 12, 15),
        date(2028, 1, 15),
    ]


def test_across_a_change_of_daylight_the_local_time_stays():
    # Berlin: clocks forward on 28 March 2027 (CET +1 to CEST +2).
    daily = series(starts_on=date(2027, 3, 27), zone=BERLIN, count=3)
    assert due_at(daily, 1) == utc(2027, 3, 27, 7)  # 08:00 CET
    assert due_at(daily, 2) == utc(2027, 3, 28, 6)  # 08:00 CEST
    assert due_at(daily, 2) - due_at(daily, 1) == timedelta(hours=23)
    # Back on 31 October 2027: that day has 25 hours.
    autumn = series(starts_on=date(2027, 10, 30), zone=BERLIN, count=2)
    assert due_at(autumn, 2) - due_at(autumn, 1) == timedelta(hours=25)


def test_a_skipped_or_repeated_wall_time():
    # 02:30 does not exist on 28 March 2027 in Berlin: due as the clocks jump past it.
    skipped = series(starts_on=date(2027, 3, 28), at=time(2, 30), zone=BERLIN, count=1)
    assert due_at(skipped, 1) == utc(2027, 3, 28, 1, 30)
    # 02:30 happens twice on 31 October 2027: the first one (CEST, +2).
    repeated = series(starts_on=date(2027, 10, 31), at=time(2, 30), zone=BERLIN, count=1)
    assert due_at(repeated, 1) == utc(2027, 10, 31, 0, 30)


def test_made_occurrences_are_not_due_again():
    daily = series(count=5, next_number=3)
    assert [n for n, _ in due_occurrences(daily, utc(2027, 2, 1))] == [3, 4, 5]


def test_paused_nothing_is_due_and_resumed_the_paused_days_are_skipped():
    daily = series(count=30)
    assert due_occurrences(replace(daily, active=False), utc(2027, 2, 1)) == []
    # Made 1-3, paused, resumed on the 10th at noon Jakarta: the 4th to the 10th are skipped.
    resumed_at = datetime(2027, 1, 10, 12, tzinfo=JAKARTA)
    after = first_after(replace(daily, next_number=4), resumed_at)
    assert after == 11
    assert date_of(daily, after) == date(2027, 1, 11)


def test_placed_after_todays_time_the_first_occurrence_is_tomorrows():
    daily = series(count=3)
    assert first_after(daily, datetime(2027, 1, 1, 9, tzinfo=JAKARTA)) == 2
    assert first_after(daily, datetime(2027, 1, 1, 7, tzinfo=JAKARTA)) == 1
    assert first_after(daily, utc(2030, 1, 1)) == 4  # past its end: nothing left


def test_a_long_outage_catches_up_a_bounded_batch_at_a_time():
    daily = series(count=500)
    first = due_occurrences(daily, utc(2029, 1, 1), most=100)
    assert [n for n, _ in first] == list(range(1, 101))


def test_past_the_calendars_end_there_is_no_occurrence():
    late = series(every="month", starts_on=date(9999, 11, 30), count=5)
    assert [n for n, _ in due_occurrences(late, datetime.max.replace(tzinfo=UTC))] == [1, 2]
