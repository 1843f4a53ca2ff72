"""Infobip's inbound SMS, forwarded to us as it documents ("Receive inbound SMS messages"):

    {"results": [{"messageId": "817790313235066447", "from": "6281234567890",
                  "to": "628999000111", "text": "STOP", "cleanText": "", "keyword": "STOP",
                  "receivedAt": "2026-12-05T09:28:39.220+0000", "smsCount": 1, ...}],
     "messageCount": 1, "pendingMessageCount": 0}

`text` is the whole message (`cleanText` has the keyword taken off). Pure, no I/O; a malformed
result is skipped with a reason, as for WhatsApp's notifications.
"""

from datetime import UTC, datetime
from typing import Any

from services.notifier.inbound.notifications import (
    MAX_ID,
    MAX_PIECES,
    MAX_TEXT,
    InboundMessage,
    Malformed,
    Notification,
    phone_of,
)

MAX_TIMESTAMP = 40


def read_inbound_sms(body: Any) -> Notification:
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise Malformed("not an inbound SMS forward: results must be a list")
    read = Notification()
    for result in body["results"][:MAX_PIECES]:
        try:
            read.messages.append(inbound_sms(result))
        except (KeyError, TypeError, ValueError) as error:
            read.skipped.append(f"an SMS: {error}")
    return read


def inbound_sms(result: Any) -> InboundMessage:
    if not isinstance(result, dict):
        raise TypeError("a result is not an object")
    message_id, sender, text = result.get("messageId"), result.get("from"), result.get("text")
    if not (isinstance(message_id, str) and 0 < len(message_id) <= MAX_ID):
        raise ValueError(f"messageId is not a string of 1 to {MAX_ID} characters")
    if not isinstance(sender, str):
        raise ValueError("from is not a number")
    if text is not None and not (isinstance(text, str) and len(text) <= MAX_TEXT):
        raise ValueError(f"text is not a string of at most {MAX_TEXT} characters")
    if text is not None and "\x00" in text:
        raise ValueError("text holds a NUL character")
    return InboundMessage(
        provider_id=message_id,
        channel="sms",
        phone=phone_of(sender.lstrip("+")),
        name=None,
        text=text or None,
        reply_id=None,
        at=received_at(result.get("receivedAt")),
    )


def received_at(value: Any) -> datetime:
    """Infobip's `2026-12-05T09:28:39.220+0000`; a time without a zone is UTC."""
    if not (isinstance(value, str) and len(value) <= MAX_TIMESTAMP):
        raise ValueError("receivedAt is not a time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("receivedAt is not an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
