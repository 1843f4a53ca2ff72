"""How a person's address appears in answers and logs: never whole."""

import pytest

from services.notifier.channels.addresses import mask_address, mask_phone, redact


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+6281234567890", "+62812****7890"),  # the usual Indonesian mobile number
        ("+628123456789", "+6281****6789"),
        ("+62812345678901", "+62812****8901"),
        ("+6281234567", "+628****567"),
        ("+628123", "+6****3"),
        ("+1234", "+****"),
        ("6281234567890", "62812****7890"),  # as WhatsApp and Infobip write it
    ],
)
def test_a_number_keeps_its_prefix_and_last_digits_and_hides_at_least_four(number, masked):
    assert mask_phone(number) == masked
    digits = sum(ch.isdigit() for ch in number)
    assert digits - sum(ch.isdigit() for ch in masked) >= 4


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("ani@example.com", "a***@example.com"),
        ("siti.aminah@contoh.id", "s***@contoh.id"),
        ("x@y.id", "x***@y.id"),
        ("+6281234567890", "+62812****7890"),
    ],
)
def test_an_address_keeps_a_first_letter_and_domain_or_a_number_prefix_and_end(address, masked):
    assert mask_address(address) == masked


def test_provider_text_becomes_one_line_with_the_recipient_masked():
    said = "550 5.1.1 <Siti.Aminah@contoh.id>:\r\n Recipient address rejected"

    assert redact(said, "siti.aminah@contoh.id") == (
        "550 5.1.1 <s***@contoh.id>: Recipient address rejected"
    )


def test_any_phone_like_number_in_provider_text_is_masked():
    said = "Recipient +6281234567890 (wa_id 6281234567890) not in allowed list, code 131030"

    assert redact(said, "+6281234567890") == (
        "Recipient +62812****7890 (wa_id 62812****7890) not in allowed list, code 131030"
    )


def test_a_long_provider_text_is_cut_short():
    assert len(redact("kata " * 200, "")) == 300
