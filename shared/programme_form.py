"""Applying to a free-mask programme, as the buyers' site and the chat ask it: a citizen's NIK
checked for form, and the site's application form checked field by field against what the
programme allows, with a message in the applicant's language for each mistake, and the body
the orders API takes (POST /v1/programmes/{id}/applications) once right. Pure: no I/O.

The NIK is only ever passed on: nothing here keeps or logs it."""

import re
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from shared.fields import Name
from shared.nik import nik_problem
from shared.order_form import BUYER_TYPE_NAMES, MAX_FIELD_LENGTH
from shared.problems import Text

# The fields in the order the page asks them (the phone was checked before the form).
FIELDS = ("name", "nik", "buyer_type", "region", "sku", "quantity", "language", "channel")
# No email on this form: the applicant is told on the phone they proved they hold.
CHANNELS = ("", "whatsapp", "sms")
LANGUAGES = ("id", "en")
# Spaces, dots and dashes people type between groups of digits (as printed on a KTP).
_NIK_SEPARATORS = re.compile(r"[\s.\-]")
_NAME = TypeAdapter(Name)
# Long runs of digits: no name or regency has them, a NIK does (typed in the wrong box, it
# would be passed on as a name, in clear).
NUMBER_LIKE_A_NIK = re.compile(r"\d[\d\s.-]{9,}\d")

NO_NIK = Text("Isi NIK Anda (16 angka di KTP)", "Enter your NIK (the 16 digits on your KTP)")
EMPTY_NAME = Text("Isi nama penerima", "Enter the recipient's name")
BAD_NAME = Text(
    "Isi nama dengan huruf biasa, tanpa tautan atau tanda aneh",
    "Enter the name in plain letters, without links or odd signs",
)
EMPTY_REGION = Text("Pilih kabupaten/kota Anda", "Choose your district or city")
NOT_COVERED = Text(
    "Program ini tidak berlaku untuk kabupaten/kota itu",
    "This programme does not cover that district or city",
)
NO_TYPE = Text("Pilih jenis penerima", "Choose the type of recipient")


def nik_from(typed: str) -> str:
    """The digits of a NIK as typed with the usual separators."""
    return _NIK_SEPARATORS.sub("", typed)


@dataclass(frozen=True)
class Checked:
    typed: dict[str, str]
    errors: dict[str, Text]
    application: dict[str, Any] | None  # the orders API's body when no errors


def typed_in(form: Any) -> dict[str, str]:
    """The form's fields as text, each cut to a length no answer needs."""
    return {name: str(form.get(name, ""))[:MAX_FIELD_LENGTH].strip() for name in FIELDS}


def buyer_types_of(programme: dict) -> list[str]:
    """The recipient types the programme takes, as the site names them."""
    return [kind for kind in programme["buyer_types"] if kind in BUYER_TYPE_NAMES]


def check(typed: dict[str, str], programme: dict, phone: str) -> Checked:
    """The answers against the programme (its types, regencies, units per recipient)."""
    errors: dict[str, Text] = {}
    name = _name(typed["name"], errors)
    types = buyer_types_of(programme)
    kind = types[0] if len(types) == 1 else typed["buyer_type"]
    if kind not in types:
        errors["buyer_type"] = NO_TYPE
    nik = nik_from(typed["nik"])
    if kind == "individual":  # one application per citizen: the NIK says who
        why = NO_NIK if not nik else nik_problem(nik)
        if why is not None:
            errors["nik"] = why
    sku = _sku(typed["sku"], [product["sku"] for product in programme["products"]], errors)
    region = _region(typed["region"], programme["regencies"], errors)
    quantity = _quantity(typed["quantity"], programme["units_per_recipient"], errors)
    if typed["language"] not in LANGUAGES:
        errors["language"] = Text("Pilih bahasa pesan", "Choose the language of messages")
    if typed["channel"] not in CHANNELS:
        errors["channel"] = Text("Pilih saluran pesan", "Choose how to be told")
    if errors:
        return Checked(typed, errors, None)
    recipient = {
        "name": name,
        "type": kind,
        "region": region,
        "phone": phone,
        "language": typed["language"],
        "channel": typed["channel"] or None,
    }
    if kind == "individual":
        recipient["nik"] = nik
    return Checked(typed, {}, {"sku": sku, "quantity": quantity, "recipient": recipient})


def valid_name(text: str) -> str | None:
    """The text as the orders API takes a name (no link, no control character, no number
    that may be a NIK), or None."""
    if NUMBER_LIKE_A_NIK.search(text):
        return None
    try:
        return _NAME.validate_python(text)
    except ValidationError:
        return None


def _name(text: str, errors: dict[str, Text]) -> str | None:
    if not text:
        errors["name"] = EMPTY_NAME
        return None
    name = valid_name(text)
    if name is None:
        errors["name"] = BAD_NAME
    return name


def _region(text: str, regencies: list[str], errors: dict[str, Text]) -> str | None:
    if not text:
        errors["region"] = EMPTY_REGION
        return None
    if regencies:
        listed = {regency.casefold(): regency for regency in regencies}
        if text.casefold() not in listed:
            errors["region"] = NOT_COVERED
            return None
        return listed[text.casefold()]
    region = valid_name(text)
    if region is None:
        errors["region"] = BAD_NAME
    return region


def _sku(text: str, skus: list[str], errors: dict[str, Text]) -> str | None:
    if len(skus) == 1:
        return skus[0]
    if text not in skus:
        errors["sku"] = Text("Pilih barangnya", "Choose the product")
        return None
    return text


def _quantity(text: str, most: int, errors: dict[str, Text]) -> int | None:
    if most == 1:
        return 1
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= most:
        errors["quantity"] = Text(
            f"Jumlah harus bilangan bulat dari 1 sampai {most}",
            f"The quantity must be a whole number from 1 to {most}",
        )
        return None
    return int(text)
