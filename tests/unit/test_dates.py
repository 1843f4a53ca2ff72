"""Dates and times in messages: in words, in the hub's zone, Indonesian and English."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from services.notifier.dates import (
    date_in_words,
    estimate_in_words,
    estimate_moved,
    hub_zone,
    in_both,
    time_in_words,
    zone_label,
)
from shared.problems import Text

# 07.00 UTC: 14.00 in Jakarta and Pontianak, 15.00 in Makassar, 16.00 in Jayapura.
MOMENT = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "indonesian", "english"),
    [
        (date(2026, 11, 30), "30 November 2026", "30 November 2026"),
        (date(2026, 12, 1), "1 Desember 2026", "1 December 2026"),
        (date(2027, 1, 9), "9 Januari 2027", "9 January 2027"),
        (date(2027, 5, 17), "17 Mei 2027", "17 May 2027"),
        (date(2027, 8, 17), "17 Agustus 2027", "17 August 2027"),
    ],
)
def test_a_date_in_words(day, indonesian, english):
    assert date_in_words(day) == Text(indonesian, english)


@pytest.mark.parametrize(
    ("zone", "indonesian", "english"),
    [
        ("Asia/Jakarta", "30 November 2026 14.00 WIB", "30 November 2026 14:00 WIB"),
        ("Asia/Pontianak", "30 November 2026 14.00 WIB", "30 November 2026 14:00 WIB"),
        ("Asia/Makassar", "30 November 2026 15.00 WITA", "30 November 2026 15:00 WITA"),
        ("Asia/Jayapura", "30 November 2026 16.00 WIT", "30 November 2026 16:00 WIT"),
        ("Asia/Singapore", "30 November 2026 15.00 UTC+8", "30 November 2026 15:00 UTC+8"),
        ("Asia/Kolkata", "30 November 2026 12.30 UTC+5:30", "30 November 2026 12:30 UTC+5:30"),
        ("UTC", "30 November 2026 07.00 UTC", "30 November 2026 07:00 UTC"),
    ],
)
def test_a_time_is_shown_on_the_hubs_clock(zone, indonesian, english):
    assert time_in_words(MOMENT, zone) == Text(indonesian, english)


def test_the_hubs_day_can_differ_from_the_utc_day():
    late_evening_utc = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)

    in_words = time_in_words(late_evening_utc, "Asia/Jayapura")
    assert in_words.indonesian == "1 Desember 2026 05.00 WIT"


@pytest.mark.parametrize("zone", [None, "", "Mars/Olympus_Mons", "../etc/passwd"])
def test_a_missing_or_unknown_zone_is_taken_as_jakarta(zone):
    assert hub_zone(zone).key == "Asia/Jakarta"
    assert time_in_words(MOMENT, zone).indonesian.endswith("14.00 WIB")


def test_a_zone_west_of_greenwich_shows_a_negative_offset():
    local = MOMENT.astimezone(timezone(-timedelta(hours=3, minutes=30)))

    assert zone_label(local) == "UTC-3:30"


def test_an_estimate_is_a_date_or_says_it_cannot_be_made_yet():
    assert estimate_in_words(date(2026, 11, 30)).indonesian == "30 November 2026"
    unknown = estimate_in_words(None)
    assert unknown.indonesian.startswith("belum dapat diperkirakan")
    assert unknown.english.startswith("cannot be estimated yet")


@pytest.mark.parametrize(
    ("estimated", "previous", "indonesian"),
    [
        (date(2026, 11, 28), date(2026, 12, 1), "maju"),
        (date(2026, 12, 3), date(2026, 12, 1), "mundur"),
        (None, date(2026, 12, 1), "berubah"),
        (date(2026, 12, 1), None, "berubah"),
    ],
)
def test_which_way_an_estimate_moved(estimated, previous, indonesian):
    assert estimate_moved(estimated, previous).indonesian == indonesian


def test_a_text_becomes_two_template_parameters():
    assert in_both("estimate", Text("satu", "one")) == {"estimate_id": "satu", "estimate_en": "one"}
