"""How the console writes numbers, money, days and moments in each language."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from services.console.accounts import Operator, Role
from services.console.redirects import local_path
from shared import formats


@pytest.mark.parametrize(
    ("value", "indonesian", "english"),
    [
        (0, "0", "0"),
        (2000, "2.000", "2,000"),
        (1234567, "1.234.567", "1,234,567"),
        (2.5, "2,5", "2.5"),
    ],
)
def test_numbers_group_digits_as_each_language_does(value, indonesian, english):
    assert formats.number(value, "id") == indonesian
    assert formats.number(value, "en") == english


def test_rupiah_and_missing_values():
    assert formats.rupiah(5000, "id") == "Rp5.000"
    assert formats.rupiah(5000, "en") == "Rp5,000"
    assert formats.rupiah(None, "id") == formats.number(None, "en") == "–"


def test_days_and_moments_in_the_hubs_zone():
    assert formats.day(date(2026, 8, 17), "id") == "17 Agu 2026"
    assert formats.day("2026-08-17", "en") == "17 Aug 2026"
    late_utc = datetime(2026, 11, 28, 20, 5, tzinfo=UTC)
    # 20:05 UTC is already the next morning in Western Indonesian Time.
    assert formats.moment(late_utc, "id", ZoneInfo("Asia/Jakarta")) == "29 Nov 2026 03:05"
    assert formats.moment(late_utc.isoformat(), "en", ZoneInfo("Asia/Jayapura")) == (
        "29 Nov 2026 05:05"
    )


@pytest.mark.parametrize(
    ("zone", "said"),
    [
        ("Asia/Jakarta", "WIB"),
        ("Asia/Pontianak", "WIB"),
        ("Asia/Makassar", "WITA"),
        ("Asia/Jayapura", "WIT"),
        ("Asia/Singapore", "Asia/Singapore"),
    ],
)
def test_a_time_names_its_zone_as_indonesians_do(zone, said):
    assert formats.zone_name(ZoneInfo(zone)) == said


def test_a_phone_shows_its_prefix_and_last_four_only():
    assert formats.mask_phone("+6281234567890") == "+62812****7890"
    assert formats.mask_phone(None) == ""


def test_each_role_may_do_what_the_ones_below_it_may():
    staff = Operator(id=None, username="siti", name="Siti", role=Role.staff)
    assert staff.may(Role.viewer) and staff.may(Role.staff)
    assert not staff.may(Role.admin)


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/antrean?sku=x", "/antrean?sku=x"),
        ("//evil.test/", "/"),
        ("https://evil.test", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_after_sign_in_only_a_page_of_this_console_is_opened(target, kept):
    assert local_path(target) == kept
