"""What every operation of every document says the same way: who may call it, the problem
answer and its schema, the headers every service reads and sets, and how answer schemas are
made (open: a client built from today's document must read tomorrow's answers)."""

from typing import Any, NotRequired

from pydantic import with_config
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema
from typing_extensions import TypedDict

from shared.openapi import Auth, Tag
from shared.problems import Text
from shared.web import CORRELATION_HEADER, PROBLEM_JSON


def said(text: Text, between: str = " / ") -> str:
    """Both languages in one string, Indonesian first."""
    return f"{text.indonesian}{between}{text.english}"


class FieldProblem(TypedDict):
    field: str
    code: str
    message: str


# The wire form of shared.problems.Problem (its `document`); the docstring is for API readers.
@with_config(
    json_schema_extra={
        "examples": [
            {
                "type": "/problems/validation-error",
                "title": "Data tidak valid",
                "status": 422,
                "detail": "Periksa kolom: quantity",
                "errors": [
                    {"field": "quantity", "code": "greater_than_equal", "message": "minimal 1"}
                ],
            }
        ]
    }
)
class Problem(TypedDict):
    """Masalah menurut RFC 9457 / A problem document (RFC 9457)"""

    type: str
    title: str
    status: int
    detail: NotRequired[str]
    errors: NotRequired[list[FieldProblem]]


class OpenAnswers(GenerateJsonSchema):
    """Schemas as pydantic makes them, but an answer's object is never closed: a model that
    forbids unknown fields in a request may gain fields in an answer, and a client generated
    with `additionalProperties: false` would break the day it does."""

    def model_schema(self, schema: core_schema.ModelSchema) -> JsonSchemaValue:
        made = super().model_schema(schema)
        if self.mode == "serialization" and made.get("additionalProperties") is False:
            del made["additionalProperties"]
        return made


SECURITY_SCHEMES = {
    "operatorToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "Token operator pusat (admin, staf atau peninjau: membaca perlu peninjau,"
        " mengubah perlu staf) / The centre's operator token (admin, staff or viewer: reading"
        " needs a viewer's, changing a staff member's)",
    },
    # One scheme for both: they travel in the same header, and the service tells them apart.
    "partnerKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "Kunci API mitra (plut_...) atau token operator"
        " / A partner's API key (plut_...) or the operator token",
    },
    # The providers' webhooks: what Meta and Infobip send, never a partner.
    "whatsappVerifyToken": {
        "type": "apiKey",
        "in": "query",
        "name": "hub.verify_token",
        "description": "Token verifikasi WhatsApp (WHATSAPP_VERIFY_TOKEN), dikirim Meta saat URL"
        " callback diatur / The WhatsApp verify token (WHATSAPP_VERIFY_TOKEN), which Meta sends"
        " when the callback URL is set up",
    },
    "whatsappSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Hub-Signature-256",
        "description": "sha256=<hex>: HMAC-SHA256 isi mentah dengan rahasia aplikasi Meta"
        " (WHATSAPP_APP_SECRET); tanda tangan, bukan kunci tetap / sha256=<hex>: the HMAC-SHA256"
        " of the raw body with Meta's app secret (WHATSAPP_APP_SECRET); a signature of each"
        " body, not a fixed key",
    },
    "smsInboundBasic": {
        "type": "http",
        "scheme": "basic",
        "description": "Basic auth penerusan SMS masuk Infobip: pengguna SMS_INBOUND_USER, kata"
        " sandi SMS_INBOUND_SECRET / Infobip's inbound SMS forwarding's Basic auth: user"
        " SMS_INBOUND_USER, password SMS_INBOUND_SECRET",
    },
}
_SCHEME_OF_AUTH = {
    "partner": "partnerKey",
    "whatsapp-token": "whatsappVerifyToken",
    "whatsapp-signature": "whatsappSignature",
    "sms-basic": "smsInboundBasic",
}
TAGS = {
    "partner": Text("Untuk sistem mitra", "For partners' systems"),
    "operator": Text("Untuk operator pusat (token operator)", "For the centre's operators"),
    "system": Text("Kesehatan, metrik, dan dokumen API", "Health, metrics and the API documents"),
}
_ACCESS = {
    "partner": Text(
        "Akses: kunci API mitra (cakupan orders:read untuk membaca, orders:write untuk mengubah)"
        " atau token operator.",
        "Access: a partner's API key (scope orders:read to read, orders:write to change) or"
        " the operator token.",
    ),
    "operator": Text(
        "Akses: token operator (membaca: peninjau ke atas; mengubah: staf ke atas).",
        "Access: an operator token (to read: a viewer's or above; to change: staff or above).",
    ),
    "admin": Text("Akses: hanya token admin operator.", "Access: the operators' admin token only."),
    "whatsapp-token": Text(
        "Akses: Meta, dengan token verifikasi (hub.verify_token) yang diatur di dasbor aplikasi.",
        "Access: Meta, with the verify token (hub.verify_token) set in the app's dashboard.",
    ),
    "whatsapp-signature": Text(
        "Akses: Meta, dengan tanda tangan X-Hub-Signature-256 atas isi mentah (rahasia aplikasi);"
        " tanpa tanda tangan yang sah: 401, dan tidak ada yang dibaca atau dicatat.",
        "Access: Meta, with the X-Hub-Signature-256 signature of the raw body (the app secret);"
        " without a valid signature: 401, and nothing is read or recorded.",
    ),
    "sms-basic": Text(
        "Akses: Infobip, dengan Basic auth yang diatur (SMS_INBOUND_USER, SMS_INBOUND_SECRET);"
        " tanpa itu: 401, dan tidak ada yang dibaca atau dicatat.",
        "Access: Infobip, with the configured Basic auth (SMS_INBOUND_USER, SMS_INBOUND_SECRET);"
        " without it: 401, and nothing is read or recorded.",
    ),
    None: Text("Akses: terbuka, tanpa kredensial.", "Access: open, no credentials."),
}
_IDEMPOTENT = Text(
    "Kirim Idempotency-Key: ulangan dengan kunci dan isi yang sama mendapat jawaban pertama,"
    " dengan header Idempotent-Replayed: true.",
    "Send an Idempotency-Key: a retry with the same key and body gets the first answer back,"
    " with the header Idempotent-Replayed: true.",
)


def security_of(auth: Auth) -> list[dict]:
    """Every operation states its own: `[]` is open (no root default to fall back on)."""
    if auth is None:
        return []
    return [{_SCHEME_OF_AUTH.get(auth, "operatorToken"): []}]


def description_of(own: Text | None, auth: Auth, idempotent: bool) -> str:
    """What the operation's declaration says in words, after anything it says itself."""
    parts = [*([own] if own else []), _ACCESS.get(auth, _ACCESS["operator"])]
    if idempotent:
        parts.append(_IDEMPOTENT)
    return "\n\n".join(said(part, "\n\n") for part in parts)


def tags_of(used: set[Tag]) -> list[dict]:
    return [{"name": tag, "description": said(TAGS[tag])} for tag in sorted(used)]


def header_parameter(name: str, about: str, schema: dict, required: bool = False) -> dict:
    """A request header; its description in its schema too: generated clients document an
    argument by its schema's."""
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": about,
        "schema": {**schema, "description": about},
    }


# Request headers every service reads, and answer headers it sets (shared/web.py).
PARAMETERS = {
    "CorrelationId": {
        **header_parameter(
            CORRELATION_HEADER,
            "Ikuti permintaan di log dan event semua layanan (1-64 karakter A-Z a-z 0-9 . _ : -;"
            " selain itu diganti id baru) / Follows the request through every service's logs"
            " and events (1-64 of A-Z a-z 0-9 . _ : -; anything else is replaced by a new id)",
            {"type": "string"},
        ),
        "example": "po-2026-0001",
    },
    "AcceptLanguage": {
        **header_parameter(
            "Accept-Language",
            "Bahasa judul dan pesan masalah: id (bawaan) atau en"
            " / The language of problems' titles and messages: id (the default) or en",
            {"type": "string"},
        ),
        "example": "en",
    },
}
HEADERS = {
    "CorrelationId": {
        "description": "Id permintaan ini (yang dikirim, atau yang baru)"
        " / This request's id (the one sent, or a new one)",
        "schema": {"type": "string"},
    },
    "IdempotentReplayed": {
        "description": "true: jawaban pertama untuk Idempotency-Key ini, diulang"
        " / true: the first answer to this Idempotency-Key, replayed",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "RetryAfter": {
        "description": "Detik sampai boleh mencoba lagi / Seconds until a retry is welcome",
        "schema": {"type": "integer", "minimum": 0},
    },
}
COMMON_PARAMETERS = [{"$ref": f"#/components/parameters/{name}"} for name in PARAMETERS]
CORRELATION = {CORRELATION_HEADER: {"$ref": "#/components/headers/CorrelationId"}}
REPLAYED = {"Idempotent-Replayed": {"$ref": "#/components/headers/IdempotentReplayed"}}
RETRY_AFTER = {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}}


def default_answer(problem: dict[str, Any]) -> dict:
    """Whatever else may come (a 500, a 503 from a proxy): still a problem, never a surprise."""
    return {
        "description": "Masalah lain, mis. 500 atau 503 / Any other problem, e.g. a 500 or 503",
        "headers": CORRELATION,
        "content": {PROBLEM_JSON: {"schema": problem}},
    }


def keep_used(components: dict[str, dict], paths: dict) -> None:
    """Leave out of `components` what no path refers to, directly or through another part: a
    partner's tools warn about parts nothing uses (a header of an operation another service
    has, the schemas of routes left out of a merged document)."""
    wanted: set[str] = set()
    waiting = _references(paths)
    while waiting:
        reference = waiting.pop()
        if reference not in wanted:
            wanted.add(reference)
            _, _, kind, name = reference.split("/")  # "#/components/schemas/Order"
            waiting += _references(components.get(kind, {}).get(name))
    for kind, named in components.items():
        if kind != "securitySchemes":
            for name in [name for name in named if f"#/components/{kind}/{name}" not in wanted]:
                del named[name]
    # A scheme is named by the operations' `security`, not referred to.
    schemes = {name for item in paths.values() for name in _schemes(item)}
    named = components.get("securitySchemes", {})
    for name in [name for name in named if name not in schemes]:
        del named[name]


def _schemes(item: object) -> list[str]:
    """The security schemes a path item's operations name."""
    if not isinstance(item, dict):
        return []
    return [
        name
        for operation in item.values()
        if isinstance(operation, dict)
        for choice in operation.get("security", ())
        for name in choice
    ]


def _references(value: object) -> list[str]:
    if isinstance(value, dict):
        found = [value["$ref"]] if isinstance(value.get("$ref"), str) else []
        return found + [ref for item in value.values() for ref in _references(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in _references(item)]
    return []
