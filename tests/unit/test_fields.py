"""Shared field types: Indonesian mobile numbers, short lowercase codes, preferred channels."""

import pytest
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from shared.fields import HubCode, PhoneNumber, PreferredChannel, Sku, normalise_email


class Contact(BaseModel):
    phone: PhoneNumber


class Codes(BaseModel):
    hub: HubCode
    sku: Sku


class Reachable(BaseModel):
    phone: PhoneNumber | None = None
    email: str | None = None
    channel: PreferredChannel = None


def phone_error_code(raw: str) -> str:
    with pytest.raises(ValidationError) as raised:
        Contact(phone=raw)
    (error,) = raised.value.errors()
    return error["type"]


@pytest.mark.parametrize(
    "written",
    [
        "0812 3456 7890",
        "081234567890",
        "6281234567890",
        "+6281234567890",
        "+62 812-3456-7890",
        "  0812-3456-7890  ",
    ],
)
def test_mobile_number_as_people_write_it_becomes_e164(written):
    assert Contact(phone=written).phone == "+6281234567890"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("0536 3221234", "phone_not_mobile"),  # a Palangka Raya landline
        ("021 5551234", "phone_not_mobile"),  # a Jakarta landline
        ("+1 650 253 0000", "phone_not_indonesian"),
        ("+65 8123 4567", "phone_not_indonesian"),
        ("not a number", "phone_invalid"),
        ("", "phone_invalid"),
        ("0812", "phone_invalid"),
        ("+62 000 0000 0000", "phone_invalid"),
    ],
)
def test_phone_that_is_not_an_indonesian_mobile_is_refused_with_its_own_code(raw, code):
    assert phone_error_code(raw) == code


def test_phone_longer_than_32_characters_is_refused_before_parsing():
    assert phone_error_code("0812" * 9) == "string_too_long"


@pytest.mark.parametrize("code", ["kalteng-palangkaraya", "masker-kain", "ab", "hub-2", "a1-b2-c3"])
def test_code_of_lowercase_words_joined_by_dashes_is_accepted(code):
    codes = Codes(hub=code, sku=code)

    assert (codes.hub, codes.sku) == (code, code)


@pytest.mark.parametrize(
    "code",
    ["Kalteng", "a", "-x", "x-", "x--y", "kalteng palangkaraya", " kalteng", "x_y", "", "x" * 41],
)
def test_code_that_is_not_a_short_lowercase_code_is_refused(code):
    with pytest.raises(ValidationError) as raised:
        Codes(hub=code, sku=code)

    assert {error["loc"][0] for error in raised.value.errors()} == {"hub", "sku"}


@pytest.mark.parametrize(
    ("contact", "channel"),
    [
        ({"phone": "081234567890"}, "whatsapp"),
        ({"phone": "081234567890"}, "sms"),
        ({"email": "sari@contoh.id"}, "email"),
        ({}, None),
    ],
)
def test_a_channel_that_reaches_the_person_is_taken(contact, channel):
    assert Reachable(**contact, channel=channel).channel == channel


@pytest.mark.parametrize(
    ("contact", "channel", "code"),
    [
        ({"email": "sari@contoh.id"}, "whatsapp", "channel_needs_phone"),
        ({"email": "sari@contoh.id"}, "sms", "channel_needs_phone"),
        ({"phone": "081234567890"}, "email", "channel_needs_email"),
    ],
)
def test_a_channel_that_cannot_reach_the_person_is_refused_under_channel(contact, channel, code):
    with pytest.raises(ValidationError) as raised:
        Reachable(**contact, channel=channel)

    assert [(error["loc"], error["type"]) for error in raised.value.errors()] == [
        (("channel",), code)
    ]


def test_a_bad_phone_is_refused_once_under_its_own_name_not_again_under_channel():
    with pytest.raises(ValidationError) as raised:
        Reachable(phone="0536 3221234", channel="sms")

    assert [(error["loc"], error["type"]) for error in raised.value.errors()] == [
        (("phone",), "phone_not_mobile")
    ]


@pytest.mark.parametrize("raw", ["sari@contoh.test", "sari@localhost", "sari", "a@@b.id"])
def test_an_email_that_cannot_receive_mail_is_refused_by_name(raw):
    with pytest.raises(PydanticCustomError) as refused:
        normalise_email(raw)
    assert refused.value.type == "email_invalid"


def test_an_email_is_normalised():
    assert normalise_email("Sari@Contoh.ID") == "Sari@contoh.id"
