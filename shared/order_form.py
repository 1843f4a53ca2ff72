"""The order form, as the buyers' site and the console's counter ask it: what a buyer typed,
checked field by field with a message in their language for each mistake, and as the orders API
takes it once right. Pure: no I/O.

Every value comes back as typed, so a page shown again with its errors loses nothing.
"""

from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from shared.fields import MAX_ORDER_QUANTITY, EmailAddress, Name, PhoneNumber
from shared.problems import Text

# The fields in the order the page asks them; a longer value than this is no answer.
FIELDS = (
    "quantity",
    "accept_partial",
    "name",
    "buyer_type",
    "region",
    "phone",
    "email",
    "language",
    "channel",
)
MAX_FIELD_LENGTH = 254
BUYER_TYPE_NAMES = {
    "individual": Text("Perorangan", "Individual"),
    "health_facility": Text("Fasilitas kesehatan", "Health facility"),
    "agency": Text("Instansi pemerintah", "Government agency"),
    "bank": Text("Bank", "Bank"),
    "business": Text("Usaha", "Business"),
}
BUYER_TYPES = tuple(BUYER_TYPE_NAMES)
CHANNELS = ("", "whatsapp", "sms", "email")
LANGUAGES = ("id", "en")

_NAME = TypeAdapter(Name)
_PHONE = TypeAdapter(PhoneNumber)
_EMAIL = TypeAdapter(EmailAddress)


@dataclass(frozen=True)
class Checked:
    typed: dict[str, str]
    errors: dict[str, Text]
    order: dict[str, Any] | None  # the orders API's body (without hub and sku) when no errors


def typed_in(form: Any) -> dict[str, str]:
    """The form's fields as text, each cut to a length no answer needs."""
    return {name: str(form.get(name, ""))[:MAX_FIELD_LENGTH].strip() for name in FIELDS}


def check(typed: dict[str, str], cap: int | None) -> Checked:
    errors: dict[str, Text] = {}
    quantity = _quantity(typed["quantity"], cap, errors)
    if typed["accept_partial"] not in ("ya", "tidak"):
        errors["accept_partial"] = Text(
            "Pilih apakah Anda mau menerima sebagian", "Choose whether you accept part of it"
        )
    name = _one(_NAME, typed["name"], "name", errors, EMPTY_NAME, EMPTY_NAME)
    if typed["buyer_type"] not in BUYER_TYPES:
        errors["buyer_type"] = Text("Pilih jenis pembeli", "Choose the type of buyer")
    region = _one(_NAME, typed["region"], "region", errors, EMPTY_REGION, EMPTY_REGION)
    phone = _one(_PHONE, typed["phone"], "phone", errors, NO_PHONE, BAD_PHONE)
    email = _one(_EMAIL, typed["email"], "email", errors, None, BAD_EMAIL)
    if typed["language"] not in LANGUAGES:
        errors["language"] = Text("Pilih bahasa pesan", "Choose the language of messages")
    if typed["channel"] not in CHANNELS:
        errors["channel"] = Text("Pilih saluran pesan", "Choose how to be told")
    elif typed["channel"] == "email" and not typed["email"]:
        errors["channel"] = Text(
            "Isi alamat email untuk dihubungi lewat email", "Give an email address to get email"
        )
    if errors:
        return Checked(typed, errors, None)
    buyer = {
        "name": name,
        "type": typed["buyer_type"],
        "region": region,
        "phone": phone,
        "email": email,
        "language": typed["language"],
        "channel": typed["channel"] or None,
    }
    order = {"quantity": quantity, "accept_partial": typed["accept_partial"] == "ya"}
    return Checked(typed, {}, {**order, "buyer": buyer})


EMPTY_NAME = Text("Isi nama Anda atau nama lembaga", "Enter your name or your organisation's")
EMPTY_REGION = Text("Isi kabupaten/kota Anda", "Enter your district or city")
NO_PHONE = Text("Isi nomor HP Anda", "Enter your mobile number")
BAD_PHONE = Text(
    "Isi nomor HP Indonesia yang benar, misalnya 0812 3456 7890",
    "Enter an Indonesian mobile number, like 0812 3456 7890",
)
BAD_EMAIL = Text(
    "Isi alamat email yang benar, misalnya nama@contoh.id",
    "Enter a real email address, like name@example.id",
)


def _quantity(text: str, cap: int | None, errors: dict[str, Text]) -> int | None:
    most = min(cap or MAX_ORDER_QUANTITY, MAX_ORDER_QUANTITY)
    if not text:
        errors["quantity"] = Text("Isi jumlah yang dipesan", "Enter how many you want")
    elif not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= most:
        errors["quantity"] = Text(
            f"Jumlah harus bilangan bulat dari 1 sampai {most}",
            f"The quantity must be a whole number from 1 to {most}",
        )
    else:
        return int(text)
    return None


def _one(
    adapter: TypeAdapter,
    text: str,
    field: str,
    errors: dict[str, Text],
    when_empty: Text | None,
    when_wrong: Text,
) -> Any:
    if not text:
        if when_empty is not None:
            errors[field] = when_empty
        return None
    try:
        return adapter.validate_python(text)
    except ValidationError:
        errors[field] = when_wrong
        return None


def phone_from(typed: str) -> str | None:
    """The number in E.164, or None for an empty or wrong one."""
    try:
        return _PHONE.validate_python(typed) if typed else None
    except ValidationError:
        return None
