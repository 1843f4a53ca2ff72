"""Order codes, read over the phone: written in two halves, read back forgiving."""

import pytest
from pydantic import TypeAdapter, ValidationError

from shared import order_codes as codes

SHOWN = TypeAdapter(codes.ShownOrderCode)


def test_an_order_code_is_ten_crockford_characters_shown_in_two_halves():
    made = {codes.new_order_code() for _ in range(1000)}

    assert len(made) == 1000
    for code in made:
        assert len(code) == 10 and set(code) <= set(codes.ALPHABET)
        shown = codes.shown(code)
        assert shown[5] == "-" and codes.order_code_from(shown) == code


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("7k3qd-m9x2a", "7K3QDM9X2A"),
        (" 7K3QD M9X2A ", "7K3QDM9X2A"),
        ("7K3QDM9X2A", "7K3QDM9X2A"),
        ("OIL00-ABCDE", "01100ABCDE"),  # the look-alikes, as Crockford reads them
    ],
)
def test_an_order_code_is_read_back_forgiving_case_spaces_dashes_and_look_alikes(typed, kept):
    assert codes.order_code_from(typed) == kept


@pytest.mark.parametrize(
    "typed", ["", "7K3QD-M9X2", "7K3QD-M9X2AB", "7K3QD-M9X2U", "7K3QD/M9X2A", "x" * 1000]
)
def test_what_cannot_be_an_order_code_is_none(typed):
    assert codes.order_code_from(typed) is None


def test_the_apis_and_events_carry_a_code_shown_and_refuse_anything_else():
    assert SHOWN.validate_python("7K3QD-M9X2A") == "7K3QD-M9X2A"
    for wrong in ("7K3QDM9X2A", "7k3qd-m9x2a", "7K3QD-M9X2U", "7K3QD-M9X2AB", ""):
        with pytest.raises(ValidationError):
            SHOWN.validate_python(wrong)
