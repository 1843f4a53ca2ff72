"""SMS through Infobip's SMS API, "Send SMS message" (v3, the documented successor of
/sms/2/text/advanced and the binary endpoint).

    POST {base_url}/sms/3/messages
    Authorization: App {api_key}
    {"messages": [{"sender": sender_id,
                   "destinations": [{"to": "6281234567890", "messageId": "<our message id>"}],
                   "content": {"text": content.short}}]}

A 200 lists each message with its `messageId` and a `status` object
`{"groupId", "groupName", "id", "name", "description"}`: group PENDING (or DELIVERED) means taken,
group REJECTED means not sent, and `name` says why. Other statuses carry Infobip's error object
`{"errorCode", "description", "action", "violations", "resources"}` (400, 401, 403, 429, 500).
Request, response and error shapes: Infobip's SMS API reference (send-sms-messages), as generated
into infobip/infobip-api-python-client (SmsApi.send_sms_messages, SmsDestination, SmsResponse,
ApiError); status names and groups:
https://www.infobip.com/docs/essentials/api-essentials/response-status-and-error-codes

Idempotency: Infobip documents no idempotency key or header. It does take our message id as
`destinations[].messageId` (up to 200 characters, echoed in responses, reports and logs) and it
documents the status REJECTED_DUPLICATE_MESSAGE_ID for a message id it already has. Our message
ids are unique per message, so that status can only mean an earlier attempt of this message got
through, and we count it as accepted. Infobip does not say how long it remembers ids, so this
narrows, but does not close, the door to a duplicate after an UNKNOWN outcome.
"""

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

PROVIDER = "Infobip SMS"

TAKEN_GROUPS = frozenset({"PENDING", "DELIVERED"})
ALREADY_TAKEN = "REJECTED_DUPLICATE_MESSAGE_ID"
# Our account, not the person: out of credit, sender not registered or blocked, no route.
ACCOUNT_REJECTIONS = frozenset(
    {
        "REJECTED_NOT_ENOUGH_CREDITS",
        "REJECTED_PREPAID_PACKAGE_EXPIRED",
        "REJECTED_SOURCE",
        "REJECTED_SENDER",
        "REJECTED_ROUTE_NOT_AVAILABLE",
    }
)
# The number cannot take SMS from us: wrong prefix or length, blocklisted, Do Not Disturb,
# a network we do not reach, or an account still limited to its test number.
RECIPIENT_REJECTIONS = frozenset(
    {
        "REJECTED_DESTINATION",
        "REJECTED_PREFIX_MISSING",
        "MISSING_TO",
        "REJECTED_DND",
        "REJECTED_DESTINATION_BLOCKLISTED",
        "REJECTED_NETWORK",
        "REJECTED_DESTINATION_NOT_REGISTERED",
    }
)


class Sms:
    """Sends `content.short` as one SMS from the configured sender id."""

    name: ClassVar[str] = "sms"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        sender_id: str | None = None,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
    ) -> None:
        self.sender_id = sender_id
        self._api = JsonApi(
            provider=PROVIDER,
            base_url=base_url,
            authorization=f"App {api_key}",
            timeout=timeout,
            connect_timeout=connect_timeout,
        )

    def request_body(self, outgoing: Outgoing) -> dict[str, Any]:
        message: dict[str, Any] = {
            "destinations": [
                {"to": outgoing.address.lstrip("+"), "messageId": str(outgoing.message_id)}
            ],
            "content": {"text": outgoing.content.short},
        }
        if self.sender_id:  # without one, Infobip sends from the account's default sender
            message["sender"] = self.sender_id
        return {"messages": [message]}

    async def send(self, outgoing: Outgoing) -> Accepted:
        answer = await self._api.post("/sms/3/messages", self.request_body(outgoing))
        if not 200 <= answer.status < 300:
            raise by_status(PROVIDER, answer, redact(_error_detail(answer), outgoing.address))
        return accepted_or_failure(answer, outgoing)

    async def close(self) -> None:
        await self._api.close()


def accepted_or_failure(answer: Answer, outgoing: Outgoing) -> Accepted:
    """A 200's message status: taken, or rejected for a reason that decides the outcome."""
    try:
        [message] = answer.body["messages"]
        status = message["status"]
        group, name = status["groupName"], status["name"]
    except (TypeError, KeyError, ValueError):
        raise SendFailure(
            Outcome.UNKNOWN, f"{PROVIDER} answered HTTP {answer.status} without a message status"
        ) from None
    provider_id = message.get("messageId") or str(outgoing.message_id)
    if group in TAKEN_GROUPS:
        return Accepted(provider_id=provider_id, answer=f"accepted {provider_id}: {name}")
    if name == ALREADY_TAKEN:
        return Accepted(provider_id=provider_id, answer=f"accepted earlier {provider_id}: {name}")
    detail = redact(f"{group} {name}: {status.get('description') or 'no reason'}", outgoing.address)
    if name in ACCOUNT_REJECTIONS:
        raise operator_must_fix(PROVIDER, detail)
    if name in RECIPIENT_REJECTIONS:
        raise SendFailure(Outcome.PERMANENT, f"recipient cannot receive SMS: {detail}")
    if name == "REJECTED_FLOODING_FILTER":  # too many messages to this number this hour
        raise rate_limited(PROVIDER, detail, answer.headers)
    if name == "REJECTED_SYSTEM_ERROR":
        raise unavailable(PROVIDER, detail)
    raise refused(PROVIDER, detail)


def _error_detail(answer: Answer) -> str:
    body = answer.body if isinstance(answer.body, dict) else {}
    said = body.get("description") or "no reason"
    violations = body.get("violations") or []
    wrong = ", ".join(
        f"{v.get('property')} {v.get('violation')}" for v in violations if isinstance(v, dict)
    )
    code = f" {body['errorCode']}" if body.get("errorCode") else ""
    return f"HTTP {answer.status}{code}: {said}" + (f" ({wrong})" if wrong else "")
