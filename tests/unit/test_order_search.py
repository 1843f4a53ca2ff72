"""What an operator's search text may mean (services/orders/store/search.py)."""

import uuid

import pytest

from services.orders.store.search import (
    conditions_of,
    contains,
    count_query,
    id_range,
    phone_digits,
)


@pytest.mark.parametrize(
    ("written", "digits"),
    [
        ("0812 3456 7890", "6281234567890"),
        ("+62 812-3456-7890", "6281234567890"),
        ("6281234567890", "6281234567890"),
        ("(0812) 345", "62812345"),
        ("3456", "3456"),
        ("812", "812"),
    ],
)
def test_a_phone_number_in_any_usual_form_is_looked_for_as_stored(written, digits):
    assert phone_digits(written) == digits


@pytest.mark.parametrize("written", ["08", "+6", "Bu Rina", "0812a", "1-2"])
def test_text_that_is_not_a_phone_number_of_three_digits_is_not_looked_for_as_one(written):
    assert phone_digits(written) is None


def test_an_id_is_matched_whole_or_by_its_first_eight_hex_digits():
    order_id = uuid.UUID("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")

    low, high = id_range("0A1B2C3D")
    assert low <= order_id <= high
    assert low == uuid.UUID("0a1b2c3d-0000-0000-0000-000000000000")
    assert high == uuid.UUID("0a1b2c3d-ffff-ffff-ffff-ffffffffffff")
    assert id_range(str(order_id)) == (order_id, order_id)
    assert id_range("0a1b2c3") is None  # seven digits: too few to name an order
    assert id_range("sumirah1") is None


def test_like_patterns_take_the_searched_text_literally():
    assert contains("50%_off\\") == "%50\\%\\_off\\\\%"


def test_conditions_name_only_what_was_asked_and_number_their_parameters():
    conditions = conditions_of(text="0812 345", hub="kalteng", status="queued", ids=None)

    sql = conditions.sql()
    assert sql.startswith("hub = $1 AND status = $2 AND (")
    assert "buyer->>'name' ILIKE $3" in sql and "buyer->>'phone' LIKE $4" in sql
    assert "id BETWEEN" not in sql  # "0812 345" is not hex digits
    assert conditions.params == ["kalteng", "queued", "%0812 345%", "%62812345%"]
    assert conditions_of(text=None, hub=None, status=None, ids=None).sql() == "true"
    of_product = conditions_of(text=None, hub="kalteng", status=None, ids=None, sku="masker")
    assert (of_product.sql(), of_product.params) == ("hub = $1 AND sku = $2", ["kalteng", "masker"])
    counted, params = count_query(conditions)
    assert "LIMIT 1001" in counted and params == conditions.params
