"""Local stand-ins for the WhatsApp Cloud API and Infobip's SMS API: real aiohttp servers in the
test process that check each request as strictly as the provider documents it, answer in the
provider's own success and error formats, keep every message they accepted, and fail the way a
test scripts them to.

    stub = await WhatsAppCloudStub().start()
    stub.not_on_whatsapp.add("6281200000000")     # that number gets Meta's error 131026
    stub.down = True                              # Meta's 503 "temporarily unavailable"
    stub.rate_limit_next(1, retry_after=2)        # 429, code 130429, Retry-After: 2
    stub.hold_next(1)                             # takes the next message, holds the answer
    stub.answer_held()                            # ...until now (or until the client gives up)
    ... WhatsApp(base_url=stub.base_url, access_token=stub.access_token, ...) ...
    assert stub.count(str(message_id)) == 1       # taken exactly once
    await stub.stop()

The WhatsApp stand-in also plays Meta's webhooks, signed with its `app_secret`, to its
`webhook_url` (the test stack's notifier):

    wamid = await stub.inbound_text("+6281234567890", "STATUS", name="Sari")
    await stub.button_reply("+6281234567890", "confirm", "Ya")
    (reply,) = stub.replies_to("+6281234567890")  # text, buttons, list rows
"""

import asyncio
import base64
import json
import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Self

import aiohttp
from aiohttp import web

from services.notifier.inbound.signature import HEADER as SIGNATURE_HEADER
from services.notifier.inbound.signature import sign
from tests.support import whatsapp_webhooks as meta
from tests.support.stack import serve_locally
from tests.support.whatsapp_webhooks import Reply


@dataclass(frozen=True)
class Received:
    """One request as it arrived, whether the stub took it or not."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Delivery:
    """One message the provider accepted, in the provider's terms."""

    to: str  # the number as sent: digits, no "+"
    message_id: str  # ours: biz_opaque_callback_data (WhatsApp), destinations[].messageId (SMS)
    provider_id: str  # the wamid or the SMS messageId it answered with
    at: float  # time.monotonic() when it was accepted
    template: str | None = None
    language: str | None = None
    parameters: tuple[str, ...] = ()
    text: str | None = None
    sender: str | None = None
    kind: str = "template"  # WhatsApp: template, text or interactive
    reply: Reply | None = None  # a free-form WhatsApp message as the person sees it


@dataclass
class ProviderStub(ABC):
    """The server, the record and the scripted failures both providers share.

    Scripted failures, checked in this order on every request, each until the test says
    otherwise or for a number of requests (never for so many seconds: what a request meets
    must not depend on how fast a loaded machine brings it):
    `down`: the provider's 5xx "temporarily unavailable" while it is true;
    wrong credentials or a malformed request: the provider's 401 or 400, always;
    `rate_limit_next(n)`: the provider's rate-limit answer with Retry-After (when: in
    `rate_limited_at`);
    `hold_next(n)`: the message is accepted and recorded, and the answer waits for
    `answer_held()`; a client that gives up first (its timeout) never hears that it went
    through. Never a delay of so many seconds: what comes first must not depend on the load.
    """

    down: bool = False
    rate_limited_at: list[float] = field(default_factory=list)  # time.monotonic() of each
    received: list[Received] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    _limiting: int = 0
    _limit_to: str | None = None
    _retry_after: int = 1
    _holding: int = 0
    _hold_to: str | None = None
    _answer: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    _port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    async def start(self) -> Self:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._receive)
        self._runner, self._port = await serve_locally(app)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def rate_limit_next(self, count: int = 1, retry_after: int = 1, to: str | None = None) -> None:
        """Answer the next `count` messages (to the number `to`, if given) with the provider's
        rate limit, asking to wait `retry_after` seconds."""
        self._limiting, self._retry_after = count, retry_after
        self._limit_to = None if to is None else to.lstrip("+")

    def hold_next(self, count: int = 1, to: str | None = None) -> None:
        """Accept the next `count` messages (to the number `to`, if given: other tests' messages
        may be flowing too) but hold each answer until `answer_held()`."""
        self._holding, self._answer = count, asyncio.Event()
        self._hold_to = None if to is None else to.lstrip("+")

    def answer_held(self) -> None:
        """Send the answers held so far (to clients still waiting for them)."""
        self._answer.set()

    def count(self, message_id: str) -> int:
        """How many times the message with our id `message_id` was accepted."""
        return sum(1 for delivery in self.deliveries if delivery.message_id == message_id)

    def to(self, number: str) -> list[Delivery]:
        return [delivery for delivery in self.deliveries if delivery.to == number.lstrip("+")]

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received.append(Received(request.method, request.path, dict(request.headers), body))
        if self.down:
            return self.unavailable()
        refusal = self.refusal(request, body)
        if refusal is not None:
            return refusal
        if self._limiting and self._limit_to in (None, *self.recipients(json.loads(body))):
            self._limiting -= 1
            self.rate_limited_at.append(time.monotonic())
            return self.rate_limited(self._retry_after)
        taken = len(self.deliveries)
        answer = self.take(json.loads(body))
        if self._holding and len(self.deliveries) > taken:
            if self._hold_to in (None, self.deliveries[-1].to):
                self._holding -= 1
                await self._answer.wait()
        return answer

    # What each provider says, in its own format.

    @abstractmethod
    def unavailable(self) -> web.Response:
        """The provider's answer while it is down."""

    @abstractmethod
    def refusal(self, request: web.Request, body: bytes) -> web.Response | None:
        """The provider's 401/400/404 for wrong credentials, path or request shape."""

    @abstractmethod
    def rate_limited(self, retry_after: int) -> web.Response:
        """The provider's rate-limit answer, asking to wait `retry_after` seconds."""

    @abstractmethod
    def recipients(self, request: dict[str, Any]) -> set[str]:
        """The numbers a well-formed request is for (digits, no "+")."""

    @abstractmethod
    def take(self, request: dict[str, Any]) -> web.Response:
        """Accept (or reject, as the provider would) a well-formed request; record deliveries."""


def _json_object(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


# WhatsApp Business Cloud API (Meta Graph API).

WHATSAPP_KEYS = {
    "messaging_product",
    "recipient_type",
    "to",
    "type",
    "template",
    "text",
    "interactive",
    "context",
    "biz_opaque_callback_data",
}
FREEFORM_TYPES = ("text", "interactive")


@dataclass
class WhatsAppCloudStub(ProviderStub):
    """POST /{api_version}/{phone_number_id}/messages with a template message, or a free-form
    one (text, reply buttons, a list) inside the 24 hours after the person last wrote, as Meta
    documents; and Meta's webhooks to `webhook_url`, signed with `app_secret`.

    `not_on_whatsapp`: numbers (digits) answered with code 131026, Message undeliverable.
    """

    access_token: str = "test-whatsapp-token"
    phone_number_id: str = "106540352242922"
    api_version: str = "v21.0"
    not_on_whatsapp: set[str] = field(default_factory=set)
    webhook_url: str | None = None
    app_secret: str = "test-whatsapp-app-secret"
    verify_token: str = "test-whatsapp-verify-token"
    # When each number last wrote (time.monotonic()): its 24-hour window for free-form messages.
    wrote_at: dict[str, float] = field(default_factory=dict)
    _session: aiohttp.ClientSession | None = None

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        await super().stop()

    # Meta's webhooks.

    async def inbound_text(self, phone: str, text: str, name: str = "Pembeli") -> str:
        """The person at `phone` writes `text`; answers the wamid of their message."""
        return await self._inbound(phone, name, "text", text={"body": text})

    async def button_reply(
        self, phone: str, reply_id: str, title: str, name: str = "Pembeli"
    ) -> str:
        """The person taps the reply button `reply_id` of one of our interactive messages."""
        chosen = {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}}
        return await self._inbound(phone, name, "interactive", interactive=chosen)

    async def list_reply(self, phone: str, reply_id: str, title: str, name: str = "Pembeli") -> str:
        """The person picks the row `reply_id` of one of our list messages."""
        chosen = {"type": "list_reply", "list_reply": {"id": reply_id, "title": title}}
        return await self._inbound(phone, name, "interactive", interactive=chosen)

    async def _inbound(self, phone: str, name: str, kind: str, **content: Any) -> str:
        digits, wamid = phone.lstrip("+"), meta.new_wamid()
        if kind == "interactive":  # a reply names the message it answers
            ours = [d for d in self.to(digits) if d.kind == "interactive"]
            if ours:
                content["context"] = {"from": meta.DISPLAY_NUMBER, "id": ours[-1].provider_id}
        self.wrote_at[digits] = time.monotonic()
        await self.notify(meta.inbound(digits, name, wamid, kind, **content))
        return wamid

    async def send_statuses(self, *statuses: dict[str, Any]) -> None:
        """Report statuses (`whatsapp_webhooks.status(...)`) in one notification."""
        await self.notify({"statuses": list(statuses)})

    async def notify(self, value: dict[str, Any]) -> None:
        """One signed notification with `value`; the webhook must answer 200."""
        status, answer = await self.post_webhook(meta.notification(self.phone_number_id, **value))
        if status != 200:
            raise AssertionError(f"the webhook answered {status}: {answer}")

    async def post_webhook(
        self, document: Any, *, body: bytes | None = None, signature: str | None = None
    ) -> tuple[int, Any]:
        """POST a notification as Meta does (`body` as given, else `document` as JSON), signed
        (`signature` instead, "" for none); answers the status and the JSON answered."""
        if self.webhook_url is None:
            raise RuntimeError("the stand-in has no webhook_url to notify")
        raw = body if body is not None else json.dumps(document).encode()
        signed = sign(self.app_secret, raw) if signature is None else signature
        headers = {"Content-Type": "application/json"}
        if signed:
            headers[SIGNATURE_HEADER] = signed
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.post(self.webhook_url, data=raw, headers=headers) as response:
            return response.status, await response.json(content_type=None)

    def replies_to(self, phone: str) -> list[Reply]:
        """The free-form messages (text, buttons, lists) the number was sent, oldest first."""
        return [d.reply for d in self.to(phone) if d.reply is not None]

    def unavailable(self) -> web.Response:
        return _meta_error(
            503, 131016, "(#131016) Service unavailable", "A service is temporarily unavailable."
        )

    def rate_limited(self, retry_after: int) -> web.Response:
        return _meta_error(
            429,
            130429,
            "(#130429) Rate limit hit",
            "Cloud API message throughput has been reached.",
            headers={"Retry-After": str(retry_after)},
        )

    def refusal(self, request: web.Request, body: bytes) -> web.Response | None:
        if request.headers.get("Authorization") != f"Bearer {self.access_token}":
            return _meta_error(
                401,
                190,
                "Invalid OAuth access token - Cannot parse access token",
                None,
                error_type="OAuthException",
            )
        if request.method != "POST" or request.path != (
            f"/{self.api_version}/{self.phone_number_id}/messages"
        ):
            return _meta_error(
                400,
                100,
                f"Unsupported {request.method.lower()} request. Object does not exist, cannot be "
                "loaded due to missing permissions, or does not support this operation.",
                None,
                error_type="GraphMethodException",
                subcode=33,
            )
        problem = _whatsapp_problem(_json_object(body))
        if problem is not None:
            code, details = problem
            title = "Required parameter is missing" if code == 131008 else "Invalid parameter"
            return _meta_error(400, code, f"(#{code}) {title}", details)
        return None

    def recipients(self, request: dict[str, Any]) -> set[str]:
        return {request["to"]}

    def take(self, request: dict[str, Any]) -> web.Response:
        to = request["to"]
        if to in self.not_on_whatsapp:
            return _meta_error(
                400, 131026, "(#131026) Message undeliverable", "Message Undeliverable."
            )
        wamid = meta.new_wamid()
        message_id = request.get("biz_opaque_callback_data", "")
        if request["type"] in FREEFORM_TYPES:
            wrote_at = self.wrote_at.get(to)
            if wrote_at is None or time.monotonic() - wrote_at > 24 * 3600:
                return _meta_error(
                    400,
                    131047,
                    "(#131047) Re-engagement message",
                    "More than 24 hours have passed since the recipient last replied.",
                )
            reply = meta.reply_of(request["type"], request)
            self.deliveries.append(
                Delivery(to, message_id, wamid, time.monotonic(), kind=request["type"], reply=reply)
            )
        else:
            template = request["template"]
            [body] = template["components"]
            self.deliveries.append(
                Delivery(
                    to=to,
                    message_id=message_id,
                    provider_id=wamid,
                    at=time.monotonic(),
                    template=template["name"],
                    language=template["language"]["code"],
                    parameters=tuple(p["text"] for p in body["parameters"]),
                )
            )
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": wamid, "message_status": "accepted"}],
            }
        )


def _meta_error(
    status: int,
    code: int,
    message: str,
    details: str | None,
    *,
    error_type: str = "OAuthException",
    subcode: int | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    error: dict[str, Any] = {"message": message, "type": error_type, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if details is not None:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    error["fbtrace_id"] = uuid.uuid4().hex[:22]
    return web.json_response({"error": error}, status=status, headers=headers)


def _whatsapp_problem(body: Any) -> tuple[int, str] | None:
    """(code, details) for a request Meta would refuse as malformed, or None."""
    if not isinstance(body, dict):
        return 100, "The request body must be a JSON object"
    if unknown := set(body) - WHATSAPP_KEYS:
        return 100, f"Unexpected key(s): {', '.join(sorted(unknown))}"
    if missing := {"messaging_product", "to", "type"} - set(body):
        return 131008, f"Missing: {', '.join(sorted(missing))}"
    if body["messaging_product"] != "whatsapp" or body.get("recipient_type", "individual") != (
        "individual"
    ):
        return 100, "messaging_product must be whatsapp, recipient_type individual"
    if not (isinstance(body["to"], str) and body["to"].isdigit() and 8 <= len(body["to"]) <= 15):
        return 131009, "to must be a phone number in international format, digits only"
    callback = body.get("biz_opaque_callback_data", "")
    if not isinstance(callback, str) or len(callback) > 512:
        return 131009, "biz_opaque_callback_data must be a string of at most 512 characters"
    kind = body["type"]
    if kind not in ("template", *FREEFORM_TYPES) or set(body) & (
        {"template", *FREEFORM_TYPES} - {kind}
    ):
        return 100, "type must be template, text or interactive, with that object alone"
    if kind in FREEFORM_TYPES:
        return meta.freeform_problem(body)
    if "template" not in body:
        return 131008, "Missing: template"
    return _template_problem(body["template"])


def _template_problem(template: Any) -> tuple[int, str] | None:
    if not isinstance(template, dict) or set(template) != {"name", "language", "components"}:
        return 131008, "template needs exactly name, language and components"
    if not (isinstance(template["name"], str) and template["name"]):
        return 131009, "template.name must be a non-empty string"
    language = template["language"]
    if not (isinstance(language, dict) and set(language) == {"code"} and language["code"]):
        return 131009, "template.language must be {code}"
    components = template["components"]
    if not (isinstance(components, list) and len(components) == 1):
        return 131009, "template.components must hold one body component"
    [component] = components
    if not (
        isinstance(component, dict)
        and component.get("type") == "body"
        and isinstance(component.get("parameters"), list)
        and set(component) == {"type", "parameters"}
    ):
        return 131009, "a body component is {type: body, parameters: [...]}"
    for parameter in component["parameters"]:
        if not (
            isinstance(parameter, dict)
            and set(parameter) == {"type", "text"}
            and parameter["type"] == "text"
            and isinstance(parameter["text"], str)
            and parameter["text"]
        ):
            return 131009, "each parameter is {type: text, text: <non-empty string>}"
    return None


# Infobip SMS API v3.

SMS_PATH = "/sms/3/messages"
PENDING_ACCEPTED = {
    "groupId": 1,
    "groupName": "PENDING",
    "id": 26,
    "name": "PENDING_ACCEPTED",
    "description": "Message sent to next instance",
}


def _rejected(status_id: int, name: str, description: str) -> dict[str, Any]:
    return {
        "groupId": 5,
        "groupName": "REJECTED",
        "id": status_id,
        "name": name,
        "description": description,
    }


REJECTED_DESTINATION = _rejected(52, "REJECTED_DESTINATION", "Invalid destination address")
REJECTED_NOT_ENOUGH_CREDITS = _rejected(12, "REJECTED_NOT_ENOUGH_CREDITS", "Not enough credits")
REJECTED_DUPLICATE_MESSAGE_ID = _rejected(
    23, "REJECTED_DUPLICATE_MESSAGE_ID", "Duplicate message ID"
)


@dataclass
class SmsGatewayStub(ProviderStub):
    """POST /sms/3/messages, as Infobip documents it.

    `invalid_numbers`: numbers (digits) answered with status REJECTED_DESTINATION.
    `out_of_credit`: every message answered with REJECTED_NOT_ENOUGH_CREDITS.
    A messageId it already accepted is answered with REJECTED_DUPLICATE_MESSAGE_ID and not sent
    again, as Infobip documents for duplicate message ids.
    """

    api_key: str = "test-sms-key"
    invalid_numbers: set[str] = field(default_factory=set)
    out_of_credit: bool = False
    # Infobip's forwarding of inbound SMS to us, with Basic auth.
    inbound_url: str | None = None
    inbound_user: str = "infobip"
    inbound_secret: str = "test-sms-inbound-secret"
    _session: aiohttp.ClientSession | None = None

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        await super().stop()

    async def inbound(self, phone: str, text: str) -> str:
        """The person at `phone` texts `text` to our number; answers Infobip's messageId."""
        message_id = uuid.uuid4().hex
        result = {
            "messageId": message_id,
            "from": phone.lstrip("+"),
            "to": "628999000111",
            "text": text,
            "cleanText": text.partition(" ")[2],
            "keyword": text.partition(" ")[0].upper(),
            "receivedAt": time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime()),
            "smsCount": 1,
            "price": {"pricePerMessage": 0, "currency": "IDR"},
        }
        status, answer = await self.forward({"results": [result], "messageCount": 1})
        if status != 200:
            raise AssertionError(f"the inbound SMS URL answered {status}: {answer}")
        return message_id

    async def forward(
        self, body: dict[str, Any], authorization: str | None = None
    ) -> tuple[int, Any]:
        """POST an inbound forward with Basic auth (`authorization` instead, "" for none)."""
        if self.inbound_url is None:
            raise RuntimeError("the stand-in has no inbound_url to forward to")
        if authorization is None:
            pair = f"{self.inbound_user}:{self.inbound_secret}".encode()
            authorization = "Basic " + base64.b64encode(pair).decode()
        headers = {"Authorization": authorization} if authorization else {}
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.post(self.inbound_url, json=body, headers=headers) as response:
            return response.status, await response.json(content_type=None)

    def unavailable(self) -> web.Response:
        return _infobip_error(500, "E500", "Something went wrong. Please contact support.")

    def rate_limited(self, retry_after: int) -> web.Response:
        return _infobip_error(
            429, "E429", "Too many requests.", headers={"Retry-After": str(retry_after)}
        )

    def refusal(self, request: web.Request, body: bytes) -> web.Response | None:
        if request.headers.get("Authorization") != f"App {self.api_key}":
            return _infobip_error(401, "E401", "Invalid login details.")
        if request.method != "POST" or request.path != SMS_PATH:
            return _infobip_error(404, "E404", "Requested URL not found.")
        violations = _sms_violations(_json_object(body))
        if violations:
            return _infobip_error(400, "E400", "Request cannot be processed.", violations)
        return None

    def recipients(self, request: dict[str, Any]) -> set[str]:
        return {d["to"] for message in request["messages"] for d in message["destinations"]}

    def take(self, request: dict[str, Any]) -> web.Response:
        answered = []
        for message in request["messages"]:
            for destination in message["destinations"]:
                message_id = destination.get("messageId") or uuid.uuid4().hex
                status = self._status(destination["to"], message_id)
                if status is PENDING_ACCEPTED:
                    self.deliveries.append(
                        Delivery(
                            to=destination["to"],
                            message_id=message_id,
                            provider_id=message_id,
                            at=time.monotonic(),
                            text=message["content"]["text"],
                            sender=message.get("sender"),
                        )
                    )
                answered.append(
                    {
                        "messageId": message_id,
                        "status": status,
                        "to": destination["to"],
                        "smsCount": 1,
                    }
                )
        return web.json_response({"bulkId": uuid.uuid4().hex, "messages": answered})

    def _status(self, to: str, message_id: str) -> dict[str, Any]:
        if to in self.invalid_numbers:
            return REJECTED_DESTINATION
        if self.out_of_credit:
            return REJECTED_NOT_ENOUGH_CREDITS
        if self.count(message_id):
            return REJECTED_DUPLICATE_MESSAGE_ID
        return PENDING_ACCEPTED


def _infobip_error(
    status: int,
    code: str,
    description: str,
    violations: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    return web.json_response(
        {
            "errorCode": code,
            "description": description,
            "action": "Check the request and the account, then try again.",
            "violations": violations or [],
            "resources": [],
        },
        status=status,
        headers=headers,
    )


def _sms_violations(body: Any) -> list[dict[str, str]]:
    """What Infobip would list as violations for a request it cannot process."""

    def wrong(where: str, what: str) -> list[dict[str, str]]:
        return [{"property": where, "violation": what}]

    if not isinstance(body, dict) or set(body) - {"messages", "options"}:
        return wrong("", "the body is {messages: [...]} (and options)")
    messages = body.get("messages")
    if not (isinstance(messages, list) and messages):
        return wrong("messages", "must not be empty")
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict) or set(message) - {
            "sender",
            "destinations",
            "content",
            "options",
            "webhooks",
        }:
            return wrong(where, "unknown property")
        if "sender" in message and not (isinstance(message["sender"], str) and message["sender"]):
            return wrong(f"{where}.sender", "must be a non-empty string")
        content = message.get("content")
        if not (
            isinstance(content, dict)
            and not set(content) - {"text", "transliteration", "language"}
            and isinstance(content.get("text"), str)
            and content["text"]
        ):
            return wrong(f"{where}.content.text", "must not be blank")
        destinations = message.get("destinations")
        if not (isinstance(destinations, list) and destinations):
            return wrong(f"{where}.destinations", "must not be empty")
        for j, destination in enumerate(destinations):
            if not isinstance(destination, dict) or set(destination) - {"to", "messageId"}:
                return wrong(f"{where}.destinations[{j}]", "unknown property")
            to = destination.get("to")
            if not (isinstance(to, str) and to.isdigit() and len(to) <= 64):
                return wrong(f"{where}.destinations[{j}].to", "must be a number, digits only")
            message_id = destination.get("messageId", "")
            if not (isinstance(message_id, str) and len(message_id) <= 200):
                return wrong(f"{where}.destinations[{j}].messageId", "size must be at most 200")
    return []
