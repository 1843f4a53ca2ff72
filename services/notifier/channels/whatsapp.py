"""WhatsApp through Meta's WhatsApp Business Cloud API: one approved template message per send,
or a session message (text, reply buttons, a list) when the message is a reply in a chat.

The request, as Meta documents template messages:

    POST {base_url}/{api_version}/{phone_number_id}/messages
    Authorization: Bearer {access_token}
    {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890",
     "type": "template",
     "template": {"name": "plut_order_allocated", "language": {"code": "id"},
                  "components": [{"type": "body",
                                  "parameters": [{"type": "text", "text": "..."}, ...]}]},
     "biz_opaque_callback_data": "<our message id>"}

A 200 carries `messages[0].id`, the wamid. An error carries
`{"error": {"message", "type", "code", "error_data": {"messaging_product", "details"},
"fbtrace_id"}}`, and Meta asks clients to decide on `code`, not on the HTTP status or the text.
Codes as documented at
https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes/
and, for the Graph API's own codes (0-299), at
https://developers.facebook.com/docs/graph-api/guides/error-handling

A reply in a chat, within the 24 hours after the person wrote, goes as a session message
(`Content.session`, the params of `conversations.replies.Reply`): `"type": "text"` with
`{"body", "preview_url"}`, or `"type": "interactive"` with a `"button"` (up to 3 reply buttons)
or a `"list"` (rows in a section, opened by a button), as Meta documents them.

The Cloud API takes no idempotency key: a retry after an UNKNOWN outcome can send the message
twice. Our message id goes out as `biz_opaque_callback_data`, which Meta echoes in the status
webhooks, so a later reconciliation can match a wamid (and its delivery status) to our message.
"""

from collections.abc import Mapping
from typing import Any, ClassVar

from services.notifier.channels.addresses import redact
from services.notifier.channels.base import Accepted, Outcome, Outgoing, SendFailure
from services.notifier.channels.http_api import (
    Answer,
    JsonApi,
    by_status,
    operator_must_fix,
    rate_limited,
    refused,
    unavailable,
)

PROVIDER = "WhatsApp"

# Throughput, spam and per-recipient pair limits: the same message may go a little later.
RATE_LIMIT_CODES = frozenset({4, 80007, 130429, 131048, 131056})
# Meta's side is down or overloaded (1 API unknown, 2 API service, 131000, 131016).
META_TROUBLE_CODES = frozenset({1, 2, 131000, 131016})
# Token, permissions or our business account (368 policy block, 131031 account locked,
# 131042 payment, 133010 our business number not registered); 200-299 are permission codes too.
OPERATOR_CODES = frozenset({0, 3, 10, 190, 368, 131031, 131042, 133010})
# Code 100 with this subcode: the Graph object in the URL (our phone number id) does not exist,
# or the token may not use it.
UNKNOWN_OBJECT_SUBCODE = 33
# This person cannot be reached on WhatsApp: not a WhatsApp number, our own number, or not on a
# test number's allowed list.
RECIPIENT_CODES = frozenset({131021, 131026, 131030})
# This template message cannot be sent as it is: parameters, template missing, paused or disabled,
# or outside the customer-service window.
UNSENDABLE_CODES = frozenset(
    {100, 131008, 131009, 131047, 132000, 132001, 132005, 132007, 132012, 132015, 132016}
)


class WhatsApp:
    """Sends one template message per `send`, named `{template_prefix}{content.template}`."""

    name: ClassVar[str] = "whatsapp"

    def __init__(
        self,
        *,
        phone_number_id: str,
        access_token: str,
        base_url: str = "https://graph.facebook.com",
        api_version: str = "v21.0",
        template_prefix: str = "plut_",
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
    ) -> None:
        self.template_prefix = template_prefix
        self._api = JsonApi(
            provider=PROVIDER,
            base_url=f"{base_url.rstrip('/')}/{api_version}/{phone_number_id}",
            authorization=f"Bearer {access_token}",
            timeout=timeout,
            connect_timeout=connect_timeout,
        )

    def request_body(self, outgoing: Outgoing) -> dict[str, Any]:
        content = outgoing.content
        if content.session is not None:
            return {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": outgoing.address.lstrip("+"),
                **session_body(content.session),
                "biz_opaque_callback_data": str(outgoing.message_id),
            }
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": outgoing.address.lstrip("+"),
            "type": "template",
            "template": {
                "name": f"{self.template_prefix}{content.template}",
                "language": {"code": content.language},
                "components": [
                    {
                        "type": "body",
                        "parameters": [{"type": "text", "text": p} for p in content.parameters],
                    }
                ],
            },
            "biz_opaque_callback_data": str(outgoing.message_id),
        }

    async def send(self, outgoing: Outgoing) -> Accepted:
        answer = await self._api.post("/messages", self.request_body(outgoing))
        if not 200 <= answer.status < 300:
            raise failure(answer, outgoing.address)
        wamid = _wamid(answer.body)
        if wamid is None:  # taken, as far as the status says, but not in the documented shape
            raise SendFailure(
                Outcome.UNKNOWN, f"WhatsApp answered HTTP {answer.status} without a message id"
            )
        return Accepted(provider_id=wamid, answer=f"accepted {wamid}")

    async def close(self) -> None:
        await self._api.close()


def session_body(session: Mapping[str, Any]) -> dict[str, Any]:
    """A chat reply (`{"text", "buttons"?: [{"id", "title"}], "list"?: {"button", "rows":
    [{"id", "title", "description"}]}}`) as the session message's `type` and its object."""
    text = session["text"]
    if buttons := session.get("buttons"):
        action: dict[str, Any] = {
            "buttons": [
                {"type": "reply", "reply": {"id": b["id"], "title": b["title"]}} for b in buttons
            ]
        }
        return _interactive("button", text, action)
    if listed := session.get("list"):
        rows = [
            {"id": r["id"], "title": r["title"]}
            | ({"description": r["description"]} if r.get("description") else {})
            for r in listed["rows"]
        ]
        action = {
            "button": listed["button"],
            "sections": [{"title": listed["button"], "rows": rows}],
        }
        return _interactive("list", text, action)
    return {"type": "text", "text": {"preview_url": False, "body": text}}


def _interactive(kind: str, text: str, action: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "interactive",
        "interactive": {"type": kind, "body": {"text": text}, "action": action},
    }


def failure(answer: Answer, address: str) -> SendFailure:
    """What a non-2xx answer means, decided on Meta's error code, then on the HTTP status."""
    error = answer.body.get("error") if isinstance(answer.body, dict) else None
    error = error if isinstance(error, dict) else {}
    code = _code(error.get("code"))
    detail = redact(_detail(answer.status, code, error), address)
    if code in RATE_LIMIT_CODES:
        return rate_limited(PROVIDER, detail, answer.headers)
    if code in META_TROUBLE_CODES:
        return unavailable(PROVIDER, detail)
    if code in OPERATOR_CODES or (code is not None and 200 <= code <= 299):
        return operator_must_fix(PROVIDER, detail)
    if code == 100 and _code(error.get("error_subcode")) == UNKNOWN_OBJECT_SUBCODE:
        return operator_must_fix(PROVIDER, detail)  # the phone number id in our URL
    if code in RECIPIENT_CODES:
        return SendFailure(Outcome.PERMANENT, f"recipient cannot receive WhatsApp: {detail}")
    if code in UNSENDABLE_CODES:
        return refused(PROVIDER, detail)
    return by_status(PROVIDER, answer, detail)


def _code(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _detail(status: int, code: int | None, error: dict[str, Any]) -> str:
    data = error.get("error_data")
    said = (isinstance(data, dict) and data.get("details")) or error.get("message") or "no reason"
    return f"HTTP {status}" + (f", code {code}" if code is not None else "") + f": {said}"


def _wamid(body: Any) -> str | None:
    try:
        wamid = body["messages"][0]["id"]
    except (TypeError, KeyError, IndexError):
        return None
    return wamid if isinstance(wamid, str) and wamid else None
