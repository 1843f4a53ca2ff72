"""Errors as RFC 9457 problem documents, in Bahasa Indonesia unless the client asks for English.

A `Problem` is raised anywhere in a request; the web middleware renders it. Validation errors
name every bad field (`buyer.type`, `quantity`) with a stable code and a message a person can
act on.
"""

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from shared.fields import (
    CLOCK_PATTERN,
    NAME_PATTERN,
    PRIORITY_CLASS_PATTERN,
    RECORDED_NAME_PATTERN,
)


@dataclass(frozen=True)
class Text:
    """One message in both languages; Indonesian first."""

    indonesian: str
    english: str

    def in_language(self, language: str) -> str:
        return self.english if language == "en" else self.indonesian


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: Text


@dataclass(frozen=True)
class Kind:
    """A kind of problem; its `type` is the stable URI /problems/<name>. Declared once, it is
    both raised (`problem`) and listed in the API's document."""

    status: int
    name: str
    title: Text

    def problem(self, detail: Text | None = None, **more: Any) -> "Problem":
        return Problem(self.status, self.name, self.title, detail, **more)


@dataclass
class Problem(Exception):
    status: int
    kind: str
    title: Text
    detail: Text | None = None
    errors: list[FieldError] = field(default_factory=list)
    # Sent with the answer: Retry-After on a 429, WWW-Authenticate on a 401.
    headers: dict[str, str] = field(default_factory=dict)

    def document(self, language: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"/problems/{self.kind}",
            "title": self.title.in_language(language),
            "status": self.status,
        }
        if self.detail is not None:
            body["detail"] = self.detail.in_language(language)
        if self.errors:
            body["errors"] = [
                {"field": e.field, "code": e.code, "message": e.message.in_language(language)}
                for e in self.errors
            ]
        return body


# The kinds the shared plumbing raises, each with one title wherever it is raised.
MALFORMED_JSON = Kind(
    400, "malformed-json", Text("Isi bukan JSON yang valid", "Body is not valid JSON")
)
METHOD_NOT_ALLOWED = Kind(
    405, "method-not-allowed", Text("Metode tidak diizinkan", "Method not allowed")
)
BODY_TOO_LARGE = Kind(
    413, "body-too-large", Text("Isi permintaan terlalu besar", "Request body too large")
)
UNSUPPORTED_MEDIA_TYPE = Kind(
    415, "unsupported-media-type", Text("Jenis isi tidak didukung", "Unsupported media type")
)
VALIDATION_ERROR = Kind(422, "validation-error", Text("Data tidak valid", "Invalid data"))
RATE_LIMITED = Kind(429, "rate-limited", Text("Terlalu banyak permintaan", "Too many requests"))
INTERNAL_ERROR = Kind(500, "internal-error", Text("Kesalahan server", "Internal server error"))


def invalid(*errors: FieldError) -> Problem:
    """422: the request was well-formed JSON, but these fields are wrong."""
    return VALIDATION_ERROR.problem(
        Text(
            "Periksa kolom: " + ", ".join(e.field for e in errors),
            "Check the fields: " + ", ".join(e.field for e in errors),
        ),
        errors=list(errors),
    )


def unknown_reference(field_name: str, what: Text, value: object) -> Problem:
    """422 for a well-formed reference to something that does not exist (a hub, a producer)."""
    return invalid(
        FieldError(
            field_name,
            "unknown",
            Text(f"{what.indonesian} '{value}' tidak dikenal", f"unknown {what.english} '{value}'"),
        )
    )


def not_found(what: Text, identifier: object) -> Problem:
    return Problem(
        status=404,
        kind="not-found",
        title=Text(f"{what.indonesian} tidak ditemukan", f"{what.english} not found"),
        detail=Text(
            f"Tidak ada {what.indonesian} '{identifier}'", f"No {what.english} '{identifier}'"
        ),
    )


def from_validation_error(error: ValidationError) -> Problem:
    return invalid(*(_field_error(item) for item in error.errors(include_url=False)))


def _field_error(item: dict[str, Any]) -> FieldError:
    location = ".".join(str(part) for part in item["loc"]) or "body"
    code = item["type"]
    context = item.get("ctx") or {}
    template = _MESSAGES.get(code)
    if code == "string_pattern_mismatch":
        template = _PATTERN_MESSAGES.get(context.get("pattern"), template)
    try:
        message = Text(template.indonesian.format(**context), template.english.format(**context))
    except (AttributeError, KeyError, IndexError):  # no template, or it needs other context
        message = Text(f"Nilai tidak valid: {item['msg']}", item["msg"])
    return FieldError(location, code, message)


# pydantic's error types, said in a way a buyer's or partner's developer can act on.
_MESSAGES = {
    "missing": Text("wajib diisi", "is required"),
    "extra_forbidden": Text("kolom ini tidak dikenal", "is not a known field"),
    "int_type": Text("harus bilangan bulat", "must be an integer"),
    "int_parsing": Text("harus bilangan bulat", "must be an integer"),
    "int_from_float": Text("harus bilangan bulat", "must be an integer"),
    "string_type": Text("harus teks", "must be a string"),
    "bool_type": Text("harus true atau false", "must be true or false"),
    "dict_type": Text("harus objek JSON", "must be a JSON object"),
    "model_type": Text("harus objek JSON", "must be a JSON object"),
    "model_attributes_type": Text("harus objek JSON", "must be a JSON object"),
    "greater_than_equal": Text("minimal {ge}", "must be at least {ge}"),
    "greater_than": Text("harus lebih dari {gt}", "must be greater than {gt}"),
    "less_than_equal": Text("maksimal {le}", "must be at most {le}"),
    "less_than": Text("harus kurang dari {lt}", "must be less than {lt}"),
    "string_too_short": Text(
        "minimal {min_length} karakter", "must have at least {min_length} characters"
    ),
    "string_too_long": Text(
        "maksimal {max_length} karakter", "must have at most {max_length} characters"
    ),
    "string_pattern_mismatch": Text(
        "hanya huruf kecil, angka dan tanda hubung",
        "only lowercase letters, digits and dashes",
    ),
    "literal_error": Text("harus salah satu dari {expected}", "must be one of {expected}"),
    "enum": Text("harus salah satu dari {expected}", "must be one of {expected}"),
    "email_invalid": Text("bukan alamat email yang valid", "is not a valid email address"),
    "phone_invalid": Text("bukan nomor telepon yang valid", "is not a valid phone number"),
    "phone_not_indonesian": Text(
        "harus nomor Indonesia (+62)", "must be an Indonesian number (+62)"
    ),
    "phone_not_mobile": Text("harus nomor ponsel, bukan telepon rumah", "must be a mobile number"),
    "channel_needs_phone": Text(
        "saluran {channel} memerlukan nomor ponsel: isi phone",
        "the {channel} channel needs a mobile number: give phone",
    ),
    "channel_needs_email": Text(
        "saluran email memerlukan alamat email: isi email",
        "the email channel needs an email address: give email",
    ),
    "rejected_exceeds_quantity": Text(
        "tidak boleh melebihi jumlah yang diantar", "cannot exceed the quantity delivered"
    ),
    "timezone_unknown": Text(
        "zona waktu tidak dikenal; pakai nama IANA seperti Asia/Jakarta",
        "unknown time zone; use an IANA name such as Asia/Jakarta",
    ),
    "name_control_character": Text(
        "tidak boleh berisi karakter kendali ({character})",
        "must not contain control characters ({character})",
    ),
    "name_link": Text(
        "tidak boleh berupa tautan, alamat web atau akun (://, www., .com, @)",
        "must not look like a link, web address or handle (://, www., .com, @)",
    ),
    "one_of_required": Text(
        "isi order_id atau producer_id (salah satu)", "give order_id or producer_id (one of them)"
    ),
    "opt_out_address": Text(
        "isi phone untuk whatsapp atau sms, atau email untuk email",
        "give phone for whatsapp or sms, or email for email",
    ),
    "closes_before_opens": Text("jam tutup harus setelah jam buka", "must close after it opens"),
    "day_twice": Text("hari {day} disebut dua kali", "{day} is given twice"),
    "needs_address_and_hours": Text(
        "isi dulu alamat dan jam buka hub: pembeli perlu tahu di mana dan kapan",
        "give the hub's address and opening hours first: buyers must know where and when",
    ),
    "uuid_type": Text("harus UUID", "must be a UUID"),
    "uuid_parsing": Text("harus UUID", "must be a UUID"),
    "class_repeated": Text("setiap kelas hanya boleh muncul sekali", "each class may appear once"),
    "reserves_over_100": Text(
        "jumlah cadangan melebihi 100%", "the reserves add up to more than 100%"
    ),
}
# A pattern other than the codes' says what it wants in its own words.
_PATTERN_MESSAGES = {
    NAME_PATTERN: Text(
        "tidak boleh kosong atau berisi karakter kendali",
        "must not be blank or hold control characters",
    ),
    RECORDED_NAME_PATTERN: Text(
        "tidak boleh berisi karakter NUL", "must not contain the NUL character"
    ),
    CLOCK_PATTERN: Text("jam HH:MM, dari 00:00 sampai 23:59", "a time HH:MM, 00:00 to 23:59"),
    PRIORITY_CLASS_PATTERN: Text(
        "huruf kecil, angka dan garis bawah, diawali huruf",
        "lowercase letters, digits and underscores, starting with a letter",
    ),
}
