"""What intake's use cases refuse, in both languages, and the refusal a key taken by a
concurrent transaction gets (the same as when the use case finds it taken)."""

from services.intake.store import Taken
from shared.problems import FieldError, Kind, Problem, Text, unknown_reference

HUB = Text("hub", "hub")
PRODUCT = Text("produk", "product")
PRODUCER = Text("produsen", "producer")
DELIVERY = Text("pengiriman", "delivery")
SHORTAGE = Text("laporan kekurangan bahan", "shortage report")

PHONE_TAKEN = Kind(
    409,
    "phone-taken",
    Text("Nomor telepon sudah dipakai produsen lain", "Phone taken by another producer"),
)


def phone_taken(phone: str) -> FieldError:
    return FieldError(
        "phone",
        "phone_taken",
        Text(
            f"{phone} sudah terdaftar untuk produsen lain di hub ini",
            f"{phone} is registered to another producer of this hub",
        ),
    )


def conflict(what: Text, detail: Text) -> Problem:
    return Problem(
        409,
        "conflict",
        Text(f"{what.indonesian} sudah ada", f"{what.english} already exists"),
        detail,
    )


def hub_taken(code: str) -> Problem:
    return conflict(HUB, Text(f"Kode '{code}' sudah dipakai", f"Code '{code}' is taken"))


def product_taken(sku: str) -> Problem:
    return conflict(
        PRODUCT, Text(f"SKU '{sku}' sudah ada di hub ini", f"SKU '{sku}' exists in this hub")
    )


def producer_taken() -> Problem:
    return conflict(
        PRODUCER, Text("Nomor telepon sudah terdaftar di hub ini", "Phone already registered here")
    )


def taken_problem(taken: Taken) -> Problem:
    """The answer to a key taken between a use case's read and its write."""
    if taken.kind == "hub":
        return hub_taken(taken.keys[0])
    if taken.kind == "product":
        return product_taken(taken.keys[0].partition("/")[2])
    if taken.kind == "producer":
        return producer_taken()
    return PHONE_TAKEN.problem(errors=[phone_taken(phone) for phone in taken.keys])


def unknown_hub(hub: str) -> Problem:
    return unknown_reference("hub", HUB, hub)
