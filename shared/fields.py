"""Field types shared by the HTTP APIs and the event contract, so both validate alike."""

import functools
import re
import zoneinfo
from typing import Annotated, Any, Literal

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, ValidationInfo
from pydantic_core import PydanticCustomError
from typing_extensions import TypeAliasType

from shared.names import CONTROL_CLASS, looks_like_link, refused_character

# Short lowercase codes: "kalteng-palangkaraya", "masker-kain".
CODE_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
HubCode = Annotated[str, StringConstraints(min_length=2, max_length=40, pattern=CODE_PATTERN)]
Sku = Annotated[str, StringConstraints(min_length=2, max_length=40, pattern=CODE_PATTERN)]

# A name a person typed: trimmed, never empty, never a novel, never a control character nor a
# link (shared/names.py says why). The pattern says what a JSON schema can to readers of the API
# document, where "  " would otherwise look long enough; the validator says the rest.
NAME_PATTERN = rf"^[^{CONTROL_CLASS}]*[^{CONTROL_CLASS}\s][^{CONTROL_CLASS}]*$"


def _plain_name(text: str) -> str:
    character = refused_character(text)
    if character is not None:
        raise PydanticCustomError(
            "name_control_character",
            "must not contain control characters ({character})",
            {"character": character},
        )
    if looks_like_link(text):
        raise PydanticCustomError("name_link", "must not look like a link, address or handle")
    return text


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120, pattern=NAME_PATTERN),
    AfterValidator(_plain_name),
]
# Where a hub is, as buyers read it ("Jl. Tjilik Riwut Km 5,5, Palangka Raya"): plain text on
# one line, held to a name's checks (no control characters, nothing that looks like a link).
Address = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NAME_PATTERN),
    AfterValidator(_plain_name),
]
# A time of day as a time input sends it: 00:00 to 23:59.
CLOCK_PATTERN = r"^(?:[01]\d|2[0-3]):[0-5]\d$"
ClockTime = Annotated[str, Field(pattern=CLOCK_PATTERN, examples=["08:00", "16:30"])]

# A name as events carry it: as checked when it was taken in, read again without the checks
# added since, so that an event written before them stays readable (the notifier shows such a
# name through `shared.names.harmless`).
RECORDED_NAME_PATTERN = r"^[^\x00]*[^\x00\s][^\x00]*$"
RecordedName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=120, pattern=RECORDED_NAME_PATTERN
    ),
]

# A hub's time zone: a canonical IANA name, Area/Location ("Asia/Jakarta") or "UTC". The tz
# database also holds files that are no zone of their own: "localtime" and "posixrules" (the
# machine's own), "Factory", the "posix/" and "right/" trees, and old aliases ("US/Eastern").
_ZONE_AREAS = "Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific"
_CANONICAL_ZONE = re.compile(rf"^(?:UTC|(?:{_ZONE_AREAS})/[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)?)$")


@functools.cache
def _zones() -> frozenset[str]:
    """The tz database's names, read once: listing them walks the database's files."""
    return frozenset(zoneinfo.available_timezones())


def canonical_timezone(name: str) -> str:
    if not _CANONICAL_ZONE.match(name) or name not in _zones():
        raise PydanticCustomError(
            "timezone_unknown", "not a time zone of the tz database, such as Asia/Jakarta"
        )
    return name


TimeZone = Annotated[
    str,
    StringConstraints(max_length=64),
    AfterValidator(canonical_timezone),
    Field(examples=["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]),
]


def _whole_float_as_int(value: object) -> object:
    """JSON, and JSON Schema's "integer", do not tell 50 from 50.0: neither do we."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def whole_number(*, ge: int, le: int | None = None) -> Any:
    """An integer as JSON has it, from `ge` to `le`: never "50", true or 50.5.

    The bounds sit inside, on the int itself, so the JSON schema states them as minimum and
    maximum (outside the before-validator pydantic would write them as unknown keywords).
    """
    return Annotated[int, Field(strict=True, ge=ge, le=le), BeforeValidator(_whole_float_as_int)]


# Bounds that stop a typo (or an attack) from becoming a million-unit order.
MAX_ORDER_QUANTITY = 100_000
MAX_DELIVERY_QUANTITY = 10_000
OrderQuantity = whole_number(ge=1, le=MAX_ORDER_QUANTITY)
DeliveryQuantity = whole_number(ge=1, le=MAX_DELIVERY_QUANTITY)
Units = Annotated[int, Field(ge=0)]
Rupiah = whole_number(ge=1, le=100_000_000)

_MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def normalise_phone(raw: str) -> str:
    """An Indonesian mobile number in E.164 (`+6281234567890`).

    Accepts what people write: `0812...`, `62812...`, `+62 812-...`.
    """
    text = raw.strip()
    if text.startswith("62"):
        text = "+" + text
    try:
        number = phonenumbers.parse(text, "ID")
    except phonenumbers.NumberParseException:
        raise PydanticCustomError("phone_invalid", "not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise PydanticCustomError("phone_invalid", "not a valid phone number")
    if phonenumbers.region_code_for_number(number) != "ID":
        raise PydanticCustomError("phone_not_indonesian", "not an Indonesian number")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise PydanticCustomError("phone_not_mobile", "not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


PhoneNumber = Annotated[
    str,
    StringConstraints(max_length=32),
    AfterValidator(normalise_phone),
    Field(examples=["0812 3456 7890", "+6281234567890"]),
]


def normalise_email(raw: str) -> str:
    """An address that can receive mail, normalised (the domain in lower case). Reserved and
    special-use domains (`.test`, `localhost`) are refused: mail to them never arrives."""
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise PydanticCustomError(
            "email_invalid", "not a valid email address: {reason}", {"reason": str(error)}
        ) from None


EmailAddress = Annotated[
    str,
    StringConstraints(max_length=254),
    AfterValidator(normalise_email),
    Field(json_schema_extra={"format": "email"}, examples=["sari@contoh.id"]),
]

# How a person wants to be told: in Bahasa Indonesia (the default) or English, and on which
# channel; None is the hub's own order of channels (WhatsApp, then SMS, then email). Named
# (TypeAliasType): the API documents then have one schema for each, not one per field.
Language = TypeAliasType("Language", Literal["id", "en"])
ChannelName = TypeAliasType("ChannelName", Literal["whatsapp", "sms", "email"])

# The contact field each channel reaches a person at.
_CONTACT_OF_CHANNEL = {"whatsapp": "phone", "sms": "phone", "email": "email"}


def _reachable(channel: str | None, info: ValidationInfo) -> str | None:
    """A channel is only preferred by someone it can reach: WhatsApp and SMS need the phone,
    email the email. A contact that failed its own check is absent from `info.data`: it is
    reported under its own name, not again here."""
    contact = _CONTACT_OF_CHANNEL.get(channel)
    if contact is not None and contact in info.data and info.data[contact] is None:
        context = {"channel": channel, "contact": contact}
        raise PydanticCustomError(f"channel_needs_{contact}", "{channel} needs {contact}", context)
    return channel


# A preferred channel as a request gives it; the model must declare `phone` and `email` first.
PreferredChannel = Annotated[ChannelName | None, AfterValidator(_reachable)]

# A priority class of the pre-order queue: "health", "program", "agency", "public", or the
# operators' own.
PRIORITY_CLASS_PATTERN = r"^[a-z][a-z0-9_]*$"
PriorityClass = Annotated[
    str, StringConstraints(min_length=2, max_length=32, pattern=PRIORITY_CLASS_PATTERN)
]
