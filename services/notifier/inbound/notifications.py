"""A WhatsApp Cloud API webhook notification, read: what people sent (`InboundMessage`) and what
became of the messages we sent (`StatusUpdate`). Pure, no I/O.

The shape, as Meta documents it (webhooks, `messages` field):

    {"object": "whatsapp_business_account",
     "entry": [{"id": "<WABA id>", "changes": [{"field": "messages", "value": {
         "messaging_product": "whatsapp", "metadata": {...},
         "contacts": [{"profile": {"name": "Sari"}, "wa_id": "6281234567890"}],
         "messages": [{"from": "6281234567890", "id": "wamid...", "timestamp": "1733400000",
                       "type": "text", "text": {"body": "STATUS"}}],
         "statuses": [{"id": "wamid...", "status": "delivered", "timestamp": "1733400000",
                       "recipient_id": "6281234567890", "biz_opaque_callback_data": "<ours>",
                       "errors": [{"code": 131026, "title": "Message undeliverable"}]}]}}]}]}

Every piece comes from outside: a piece that is not as documented is skipped, with a reason that
never holds a whole phone number, and the rest of the notification still counts.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.formats import mask_phone

STATUSES = frozenset({"sent", "delivered", "read", "failed"})
# Bounds, from Meta's own limits where it has them (a text is at most 4,096 characters, a reply
# button's id 256), with room to spare; anything longer is not Meta's.
MAX_ID = 256
MAX_TEXT = 4096
MAX_NAME = 256
MAX_TITLE = 512
MAX_PIECES = 1000  # statuses or messages in one notification
# Messages that ask nothing of us: a reaction to one of ours, a system notice (a number changed).
IGNORED_TYPES = frozenset({"reaction", "system"})


@dataclass(frozen=True)
class StatusUpdate:
    provider_id: str  # the wamid of the message we sent
    status: str  # sent | delivered | read | failed
    error_code: int | None
    error_title: str | None
    message_id: uuid.UUID | None  # ours, from biz_opaque_callback_data when it is one of ours
    phone: str  # E.164, with +
    at: datetime


@dataclass(frozen=True)
class InboundMessage:
    provider_id: str  # the wamid of the inbound message / Infobip's messageId
    channel: str  # "whatsapp" | "sms"
    phone: str  # E.164, with +
    name: str | None  # the WhatsApp profile name
    text: str | None  # what was typed
    reply_id: str | None  # the id of a button or list row chosen (interactive messages)
    at: datetime


@dataclass
class Notification:
    statuses: list[StatusUpdate] = field(default_factory=list)
    messages: list[InboundMessage] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # why, one per piece left out


class Malformed(ValueError):
    """The notification as a whole is not one of Meta's."""


def read_notification(body: Any) -> Notification:
    """Every status and message of a notification; a malformed piece is skipped (`skipped`)."""
    if not isinstance(body, dict) or body.get("object") != "whatsapp_business_account":
        raise Malformed("not a whatsapp_business_account notification")
    entries = body.get("entry")
    if not isinstance(entries, list):
        raise Malformed("entry must be a list")
    read = Notification()
    for entry in entries[:MAX_PIECES]:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            read.skipped.append("an entry without changes")
            continue
        for change in changes[:MAX_PIECES]:
            _read_change(change, read)
    return read


def _read_change(change: Any, read: Notification) -> None:
    if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
        read.skipped.append("a change without a value")
        return
    if change.get("field", "messages") != "messages":
        read.skipped.append(f"a change of field {_short(change.get('field'))}")
        return
    value = change["value"]
    names = _names(value.get("contacts"))
    for piece in _pieces(value, "statuses", read):
        _keep(read.statuses, read.skipped, "status", lambda p=piece: status_update(p))
    for piece in _pieces(value, "messages", read):
        _keep(read.messages, read.skipped, "message", lambda p=piece: inbound_message(p, names))


def _pieces(value: dict, key: str, read: Notification) -> list:
    pieces = value.get(key, [])
    if not isinstance(pieces, list):
        read.skipped.append(f"{key} is not a list")
        return []
    return pieces[:MAX_PIECES]


def _keep(into: list, skipped: list[str], what: str, make) -> None:
    try:
        made = make()
    except (KeyError, TypeError, ValueError, OverflowError) as error:
        skipped.append(f"a {what}: {error}")
        return
    if made is not None:
        into.append(made)


def status_update(piece: Any) -> StatusUpdate:
    status = _text(piece, "status", 16)
    if status not in STATUSES:
        raise ValueError(f"unknown status {_short(status)}")
    error_code, error_title = None, None
    errors = piece.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        code = errors[0].get("code")
        error_code = code if isinstance(code, int) and 0 <= code < 2**31 else None
        title = errors[0].get("title") or errors[0].get("message")
        error_title = title[:MAX_TITLE] if isinstance(title, str) else None
    return StatusUpdate(
        provider_id=_text(piece, "id", MAX_ID),
        status=status,
        error_code=error_code,
        error_title=error_title,
        message_id=_our_id(piece.get("biz_opaque_callback_data")),
        phone=phone_of(piece.get("recipient_id")),
        at=moment(piece.get("timestamp")),
    )


def inbound_message(piece: Any, names: dict[str, str]) -> InboundMessage | None:
    kind = _text(piece, "type", 32)
    if kind in IGNORED_TYPES:
        return None
    phone = phone_of(piece.get("from"))
    text, reply_id = _said(piece, kind)
    return InboundMessage(
        provider_id=_text(piece, "id", MAX_ID),
        channel="whatsapp",
        phone=phone,
        name=names.get(phone),
        text=text,
        reply_id=reply_id,
        at=moment(piece.get("timestamp")),
    )


def _said(piece: dict, kind: str) -> tuple[str | None, str | None]:
    """(text typed, id of the reply chosen) of a message; (None, None) for media and the like."""
    if kind == "text":
        return _text(piece.get("text"), "body", MAX_TEXT), None
    if kind == "interactive":  # a reply button or a list row of one of our interactive messages
        interactive = piece.get("interactive")
        chosen = _text(interactive, "type", 32)
        if chosen not in ("button_reply", "list_reply"):
            raise ValueError(f"unknown interactive reply {_short(chosen)}")
        reply = interactive[chosen]
        return _optional_text(reply, "title", MAX_TEXT), _text(reply, "id", MAX_ID)
    if kind == "button":  # a quick-reply button of one of our templates
        button = piece.get("button")
        return _optional_text(button, "text", MAX_TEXT), _text(button, "payload", MAX_ID)
    return None, None


def _names(contacts: Any) -> dict[str, str]:
    """Profile names by phone, for the messages of the same change."""
    names = {}
    for contact in contacts[:MAX_PIECES] if isinstance(contacts, list) else []:
        try:
            name = contact["profile"]["name"]
            if isinstance(name, str) and name.strip():
                names[phone_of(contact["wa_id"])] = name.strip()[:MAX_NAME]
        except (KeyError, TypeError, ValueError):
            continue
    return names


def phone_of(digits: Any) -> str:
    """A WhatsApp id (digits, no +) as E.164."""
    if not (isinstance(digits, str) and digits.isascii() and digits.isdigit()):
        raise ValueError("the number is not digits")
    if not 8 <= len(digits) <= 15:
        raise ValueError(f"the number {mask_phone(digits)} is not 8 to 15 digits")
    return "+" + digits


def moment(timestamp: Any) -> datetime:
    """Meta's timestamp: seconds since the epoch, as a string."""
    if not (isinstance(timestamp, str | int) and str(timestamp).isascii()):
        raise ValueError("the timestamp is not seconds")
    if not str(timestamp).isdigit() or len(str(timestamp)) > 12:
        raise ValueError("the timestamp is not seconds")
    return datetime.fromtimestamp(int(timestamp), UTC)


def _our_id(callback: Any) -> uuid.UUID | None:
    if not isinstance(callback, str) or len(callback) != 36:
        return None
    try:
        return uuid.UUID(callback)
    except ValueError:
        return None


def _text(container: Any, key: str, longest: int) -> str:
    found = _optional_text(container, key, longest)
    if found is None:
        raise ValueError(f"{key} is missing")
    return found


def _optional_text(container: Any, key: str, longest: int) -> str | None:
    if not isinstance(container, dict):
        raise TypeError(f"{key}'s parent is not an object")
    value = container.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value or "\x00" in value:
        raise ValueError(f"{key} is not a non-empty string")
    if len(value) > longest:
        raise ValueError(f"{key} is longer than {longest}")
    return value


def _short(value: Any) -> str:
    """Something the notification said, safe to log: short, and no number in it."""
    shown = repr(value)[:40]
    return "".join("#" if ch.isdigit() else ch for ch in shown)
