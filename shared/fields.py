"""Field types shared by the HTTP APIs and the event contract, so both validate alike."""

from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

# Short lowercase codes: "kalteng-palangkaraya", "masker-kain".
CODE_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
HubCode = Annotated[str, StringConstraints(min_length=2, max_length=40, pattern=CODE_PATTERN)]
Sku = Annotated[str, StringConstraints(min_length=2, max_length=40, pattern=CODE_PATTERN)]

# A name a person typed: trimmed, never empty, never a novel.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]

# Bounds that stop a typo (or an attack) from becoming a million-unit order.
MAX_ORDER_QUANTITY = 100_000
MAX_DELIVERY_QUANTITY = 10_000
OrderQuantity = Annotated[int, Field(ge=1, le=MAX_ORDER_QUANTITY, strict=True)]
DeliveryQuantity = Annotated[int, Field(ge=1, le=MAX_DELIVERY_QUANTITY, strict=True)]
Units = Annotated[int, Field(ge=0)]
Rupiah = Annotated[int, Field(ge=1, le=100_000_000, strict=True)]

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


PhoneNumber = Annotated[str, StringConstraints(max_length=32), AfterValidator(normalise_phone)]

# A priority class of the pre-order queue: "health", "program", "agency", "public", or the
# operators' own.
PriorityClass = Annotated[
    str, StringConstraints(min_length=2, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")
]
