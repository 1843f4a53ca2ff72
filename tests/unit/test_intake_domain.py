"""Intake's pure rules: searching producers, adding up shortages, report ranges, lots sold."""

import uuid
from datetime import date

import pytest

from services.intake.domain import (
    contains_pattern,
    days_in,
    last_days,
    normalise_material,
    phone_digits_query,
    units_by_lot,
)
from services.intake.handlers.imports import checked_rows
from shared.events import LotShare


@pytest.mark.parametrize(
    "raw", ["karet elastis", "Karet  Elastis", "  KARET\tElastis ", "karet\u00a0elastis"]
)
def test_a_material_however_typed_is_one_material(raw):
    assert normalise_material(raw) == "karet elastis"


@pytest.mark.parametrize(
    ("q", "digits"),
    [
        ("0812", "62812"),
        ("62812", "62812"),
        ("+62 812", "62812"),
        ("0812-3456-7890", "6281234567890"),
        ("3456", "3456"),
        ("812", "812"),
        ("Ibu Sari", None),
        ("08", None),
        ("Sari 2", None),
    ],
)
def test_a_phone_query_is_the_digits_of_the_stored_e164_number(q, digits):
    assert phone_digits_query(q) == digits


def test_a_contains_pattern_takes_like_wildcards_literally():
    assert contains_pattern("sari") == "%sari%"
    assert contains_pattern("100%_a\\b") == "%100\\%\\_a\\\\b%"


def test_a_range_counts_both_ends_and_the_last_days_end_today():
    assert days_in(date(2026, 1, 1), date(2026, 12, 31)) == 365
    assert last_days(date(2026, 11, 30)) == (date(2026, 11, 1), date(2026, 11, 30))
    assert last_days(date(1, 1, 5)) == (date(1, 1, 1), date(1, 1, 5))


def test_a_lot_named_twice_counts_twice_and_returns_count_against_it():
    lot, other = uuid.uuid4(), uuid.uuid4()
    producer = uuid.uuid4()
    lots = [
        LotShare(delivery_id=lot, producer_id=producer, quantity=3),
        LotShare(delivery_id=other, producer_id=producer, quantity=2),
        LotShare(delivery_id=lot, producer_id=producer, quantity=4),
    ]

    assert units_by_lot(lots, +1) == {lot: 7, other: 2}
    assert units_by_lot(lots, -1) == {lot: -7, other: -2}


def test_every_bad_row_of_a_file_is_named_by_its_number():
    rows = [
        {"name": "Ibu Sari", "phone": "0812 3456 7890", "regency": "Kapuas"},
        {"name": "Pak Budi", "phone": "0536 3221234", "regency": "Kapuas"},  # a landline
        {"name": "Ibu Ani", "phone": "+62 812-3456-7890", "regency": "Katingan"},  # row 1's
        {"name": " ", "phone": "081298765432", "regency": "Kapuas", "hub": "x"},
        "not a row",
    ]

    valid, errors = checked_rows(rows)

    assert list(valid) == [1]
    assert {(e.row, e.field, e.code) for e in errors} == {
        (2, "phone", "phone_not_mobile"),
        (3, "phone", "phone_repeated"),
        (4, "name", "string_too_short"),
        (4, "hub", "extra_forbidden"),
        (5, None, "model_type"),
    }
