"""The providers' webhooks: Meta's WhatsApp Cloud API (the verification handshake, and signed
notifications of messages and statuses) and Infobip's inbound SMS (Basic auth).

A notification is checked (signature or credentials first, before its body is even parsed),
read, and what is new of it recorded in one statement; the answer goes at once. Nothing else
happens in the request: the workers act after the commit, woken by it."""

import base64
import binascii
import hmac
from typing import Annotated

import orjson
import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from services.notifier.inbound.bodies import InboundSmsForward, WhatsappNotification
from services.notifier.inbound.infobip import read_inbound_sms
from services.notifier.inbound.notifications import Malformed, Notification, read_notification
from services.notifier.inbound.signature import HEADER, is_signed
from services.notifier.store import inbound as store
from shared.guesses import GUESSES, check_source
from shared.openapi import TEXT, documented
from shared.problems import MALFORMED_JSON, Kind, Problem, Text
from shared.web import (
    DATABASE,
    MAX_JSON_DEPTH,
    SETTINGS,
    accepting_up_to,
    current_correlation_id,
    json_response,
    nesting_depth,
)

log = structlog.get_logger(__name__)
routes = web.RouteTableDef()

# Meta batches statuses into one notification at busy times: far above the API's usual limit.
MAX_NOTIFICATION_BYTES = 1024 * 1024

NOT_CONFIGURED = Kind(
    503, "webhook-not-configured", Text("Webhook belum diatur", "Webhook not configured")
)
BAD_SIGNATURE = Kind(401, "bad-signature", Text("Tanda tangan tidak sah", "Invalid signature"))
BAD_CREDENTIALS = Kind(
    401, "bad-credentials", Text("Perlu kredensial yang sah", "Valid credentials required")
)
WRONG_TOKEN = Kind(
    403, "verify-token-mismatch", Text("Token verifikasi salah", "Verify token does not match")
)
NOT_A_NOTIFICATION = Kind(
    400, "not-a-notification", Text("Bukan notifikasi yang dikenal", "Not a known notification")
)

Challenge = Annotated[str, StringConstraints(max_length=256)]


class Handshake(BaseModel):
    """Meta's verification request, when the callback URL is set up in the app's dashboard
    (its `hub.verify_token` is the guard's, documented as the operation's security)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=False)

    mode: Annotated[str, StringConstraints(max_length=32)] | None = Field(None, alias="hub.mode")
    challenge: Challenge | None = Field(None, alias="hub.challenge")


class Recorded(BaseModel):
    """What was new in the notification (a notification sent again records nothing)."""

    statuses: int
    messages: int


def _secret(request: web.Request, name: str, what: Text) -> str:
    """The setting `name`'s secret; 503 without it: nothing is taken unchecked."""
    secret = getattr(request.app[SETTINGS], name, None)
    if secret is None or not secret.get_secret_value():
        raise NOT_CONFIGURED.problem(
            Text(
                f"Layanan ini berjalan tanpa {name.upper()}: {what.indonesian} ditolak",
                f"This service runs without {name.upper()}: {what.english} refused",
            )
        )
    return secret.get_secret_value()


def _checked_source(request: web.Request) -> str:
    """Who sent the request, refused (429) while it must wait for its wrong guesses."""
    return check_source(request, request.app[SETTINGS].trusted_proxies)


def _refused(request: web.Request, source: str, problem: Problem) -> Problem:
    """A wrong signature or password, counted against its source as a wrong token is."""
    request.app[GUESSES].failed(source)
    return problem


async def meta_with_token(request: web.Request) -> None:
    """Meta setting the callback URL up: `hub.mode` subscribe with the verify token."""
    expected = _secret(request, "whatsapp_verify_token", Text("jabat tangan", "the handshake"))
    given = request.query.get("hub.verify_token", "").encode()
    if request.query.get("hub.mode") != "subscribe" or not hmac.compare_digest(
        given, expected.encode()
    ):
        raise WRONG_TOKEN.problem(
            Text(
                "hub.mode harus subscribe dan hub.verify_token sama dengan WHATSAPP_VERIFY_TOKEN",
                "hub.mode must be subscribe and hub.verify_token equal WHATSAPP_VERIFY_TOKEN",
            )
        )


async def signed_by_meta(request: web.Request) -> bytes:
    """The raw body, if the app secret signed it (X-Hub-Signature-256); else 401, counted."""
    secret = _secret(request, "whatsapp_app_secret", Text("notifikasi", "notifications"))
    source = _checked_source(request)
    body = await request.read()
    if not is_signed(secret, body, request.headers.get(HEADER)):
        said = Text(
            f"{HEADER} tidak ada atau tidak cocok dengan isi",
            f"{HEADER} is missing or does not match the body",
        )
        raise _refused(request, source, BAD_SIGNATURE.problem(said))
    return body


async def infobip_with_basic_auth(request: web.Request) -> None:
    """Infobip, with the configured Basic auth; else 401, counted."""
    secret = _secret(request, "sms_inbound_secret", Text("SMS masuk", "inbound SMS"))
    source = _checked_source(request)
    expected = f"{request.app[SETTINGS].sms_inbound_user}:{secret}".encode()
    if not hmac.compare_digest(_basic(request.headers.get("Authorization")), expected):
        problem = BAD_CREDENTIALS.problem(
            Text("Kirim Basic auth yang diatur", "Send the configured Basic auth"),
            headers={"WWW-Authenticate": 'Basic realm="inbound-sms"'},
        )
        raise _refused(request, source, problem)


@routes.get("/v1/whatsapp/webhook")
@documented(
    operation_id="verifyWhatsappWebhook",
    summary=Text("Jabat tangan verifikasi webhook WhatsApp", "WhatsApp webhook verification"),
    description=Text(
        "Meta memanggilnya saat URL callback diatur: bila `hub.mode` = `subscribe` dan"
        " `hub.verify_token` sama dengan WHATSAPP_VERIFY_TOKEN, jawabannya `hub.challenge`.",
        "Meta calls it when the callback URL is set up: when `hub.mode` is `subscribe` and"
        " `hub.verify_token` equals WHATSAPP_VERIFY_TOKEN, it answers `hub.challenge`.",
    ),
    query=Handshake,
    answers={200: TEXT},
    tag="system",
    auth="whatsapp-token",
    guard=meta_with_token,
    problems=(WRONG_TOKEN, NOT_CONFIGURED),
)
async def get_whatsapp_webhook(
    request: web.Request, _meta: None, handshake: Handshake
) -> web.Response:
    return web.Response(text=handshake.challenge or "", content_type="text/plain")


@routes.post("/v1/whatsapp/webhook")
@accepting_up_to(MAX_NOTIFICATION_BYTES)
@documented(
    operation_id="receiveWhatsappNotification",
    summary=Text("Notifikasi webhook WhatsApp", "WhatsApp webhook notification"),
    description=Text(
        "Isi seperti dokumentasi Meta (object `whatsapp_business_account`): pesan masuk dan"
        " status pesan yang dikirim. Notifikasi yang sama dua kali dicatat sekali; bagian yang"
        " cacat dilewati.",
        "The body as Meta documents it (object `whatsapp_business_account`): inbound messages"
        " and the statuses of messages sent. The same notification twice is recorded once;"
        " malformed pieces are skipped.",
    ),
    answers={200: Recorded},
    tag="system",
    auth="whatsapp-signature",
    guard=signed_by_meta,
    raw_body=WhatsappNotification,
    problems=(BAD_SIGNATURE, 400, NOT_A_NOTIFICATION, 413, 429, NOT_CONFIGURED),
)
async def post_whatsapp_webhook(request: web.Request, body: bytes) -> web.Response:
    return await _record(request, _parsed(body, WhatsappNotification, read_notification))


@routes.post("/v1/sms/inbound")
@documented(
    operation_id="receiveInboundSms",
    summary=Text("SMS masuk dari Infobip", "Inbound SMS from Infobip"),
    description=Text(
        "Penerusan SMS masuk Infobip (`results`). SMS yang sama dua kali dicatat sekali.",
        "Infobip's inbound SMS forwarding (`results`). The same SMS twice is recorded once.",
    ),
    answers={200: Recorded},
    tag="system",
    auth="sms-basic",
    guard=infobip_with_basic_auth,
    raw_body=InboundSmsForward,
    problems=(BAD_CREDENTIALS, 400, NOT_A_NOTIFICATION, 413, 429, NOT_CONFIGURED),
)
async def post_inbound_sms(request: web.Request, _infobip: None) -> web.Response:
    body = await request.read()
    return await _record(request, _parsed(body, InboundSmsForward, read_inbound_sms))


def _basic(header: str | None) -> bytes:
    """The `user:password` of a Basic Authorization header; b"" for anything else."""
    if not header or not header.startswith("Basic "):
        return b""
    try:
        return base64.b64decode(header.removeprefix("Basic ").strip(), validate=True)
    except (binascii.Error, ValueError):
        return b""


def _parsed(body: bytes, shape: type[BaseModel], read) -> Notification:
    """The notification's pieces, once its top level is `shape` (what the document shows)."""
    if nesting_depth(body) > MAX_JSON_DEPTH:
        raise MALFORMED_JSON.problem(Text("JSON terlalu dalam", "JSON nested too deep"))
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise MALFORMED_JSON.problem() from None
    try:
        shape.model_validate(data)
    except ValidationError as error:
        where = ", ".join(".".join(map(str, e["loc"])) or "body" for e in error.errors()[:3])
        raise NOT_A_NOTIFICATION.problem(
            Text(f"Bukan notifikasi: periksa {where}", f"Not a notification: check {where}")
        ) from None
    try:
        return read(data)
    except Malformed as error:
        raise NOT_A_NOTIFICATION.problem(Text(f"Bukan notifikasi: {error}", str(error))) from None


async def _record(request: web.Request, notification: Notification) -> web.Response:
    if notification.skipped:
        log.warning("notification pieces skipped", reasons=notification.skipped[:20])
    async with request.app[DATABASE].acquire() as conn:
        statuses, messages = await store.record(
            conn, notification.statuses, notification.messages, current_correlation_id()
        )
    return json_response(Recorded(statuses=statuses, messages=messages))
