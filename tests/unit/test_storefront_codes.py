"""The codes a buyer handles: order codes read over the phone, and one-time phone codes."""

import pytest

from services.storefront import codes

SECRET = b"s" * 32


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


def test_a_phone_code_is_six_digits_and_kept_only_as_a_keyed_hash():
    code = codes.new_phone_code()
    kept = codes.phone_code_hash(SECRET, "check-1", code)

    assert len(code) == 6 and code.isdigit()
    assert codes.same_code(code, kept, SECRET, "check-1")
    assert not codes.same_code(code, kept, SECRET, "check-2")  # bound to its check
    assert not codes.same_code(code, kept, b"t" * 32, "check-1")  # and to the secret
    for wrong in ("", "12345", "1234567", "١٢٣٤٥٦", "12 456"):
        assert not codes.same_code(wrong, kept, SECRET, "check-1")


def test_a_phone_is_shown_masked():
    assert codes.masked("+6281234567890") == "+62812****7890"
