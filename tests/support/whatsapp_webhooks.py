"""What the WhatsApp stand-in (`provider_stubs.WhatsAppCloudStub`) says and checks beyond
templates: the webhook notifications Meta sends (inbound messages, statuses), signed as Meta
signs them, and the free-form messages (text, reply buttons, lists) a business may send inside
a person's 24-hour window, checked as strictly as Meta documents them.

Shapes: Meta's "Webhooks" reference for the `messages` field, and the Cloud API's "Messages"
reference for text and interactive messages (limits: body 1,024 characters, at most 3 reply
buttons with titles of 20, at most 10 list rows with titles of 24, ids of 256 and 200)."""

import time
import uuid
from dataclasses import dataclass
from typing import Any

WABA_ID = "102290129340398"
DISPLAY_NUMBER = "15550783881"


def new_wamid() -> str:
    return f"wamid.{uuid.uuid4().hex}"


def notification(phone_number_id: str, **value: Any) -> dict[str, Any]:
    """A notification of the `messages` field, with `value`'s contacts, messages or statuses."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA_ID,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": DISPLAY_NUMBER,
                                "phone_number_id": phone_number_id,
                            },
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def inbound(digits: str, name: str, wamid: str, kind: str, **content: Any) -> dict[str, Any]:
    """The `contacts` and `messages` of one message a person sent."""
    message = {"from": digits, "id": wamid, "timestamp": _now(), "type": kind, **content}
    return {
        "contacts": [{"profile": {"name": name}, "wa_id": digits}],
        "messages": [message],
    }


def status(
    wamid: str,
    digits: str,
    state: str,
    callback: str | None = None,
    error_code: int | None = None,
) -> dict[str, Any]:
    """One status as Meta reports it: sent, delivered, read, or failed with an error code."""
    piece: dict[str, Any] = {
        "id": wamid,
        "status": state,
        "timestamp": _now(),
        "recipient_id": digits,
    }
    if callback:
        piece["biz_opaque_callback_data"] = callback
    if state in ("sent", "delivered"):
        piece["conversation"] = {"id": uuid.uuid4().hex, "origin": {"type": "utility"}}
        piece["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "utility"}
    if state == "failed":
        code = error_code or 131026
        title = ERROR_TITLES.get(code, "Message failed to send")
        piece["errors"] = [
            {
                "code": code,
                "title": title,
                "message": title,
                "error_data": {"details": f"{title}."},
            }
        ]
    return piece


ERROR_TITLES = {
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131049: "This message was not delivered to maintain healthy ecosystem engagement.",
}


def _now() -> str:
    return str(int(time.time()))


@dataclass(frozen=True)
class Reply:
    """What a free-form message showed the person: its text, and what they could tap."""

    text: str
    buttons: tuple[tuple[str, str], ...] = ()  # (id, title) of each reply button
    rows: tuple[tuple[str, str], ...] = ()  # (id, title) of each list row
    list_button: str | None = None  # the list's button, which opens its rows


def reply_of(kind: str, request: dict[str, Any]) -> Reply:
    """A well-formed free-form request (`freeform_problem` found none) as the person sees it."""
    if kind == "text":
        return Reply(request["text"]["body"])
    interactive = request["interactive"]
    action, text = interactive["action"], interactive["body"]["text"]
    if interactive["type"] == "button":
        buttons = tuple((b["reply"]["id"], b["reply"]["title"]) for b in action["buttons"])
        return Reply(text, buttons=buttons)
    rows = tuple((r["id"], r["title"]) for s in action["sections"] for r in s["rows"])
    return Reply(text, rows=rows, list_button=action["button"])


def freeform_problem(body: dict[str, Any]) -> tuple[int, str] | None:
    """(code, details) for a text or interactive message Meta would refuse, or None."""
    context = body.get("context")
    if context is not None and not (
        isinstance(context, dict)
        and set(context) == {"message_id"}
        and _text(context, "message_id", 256)
    ):
        return 131009, "context must be {message_id}"
    if body["type"] == "text":
        text = body.get("text")
        if not (isinstance(text, dict) and set(text) <= {"body", "preview_url"}):
            return 131008, "text must be {body, preview_url}"
        if not _text(text, "body", 4096):
            return 131009, "text.body must be 1 to 4096 characters"
        return None
    return _interactive_problem(body.get("interactive"))


def _interactive_problem(interactive: Any) -> tuple[int, str] | None:
    if not isinstance(interactive, dict) or interactive.get("type") not in ("button", "list"):
        return 131009, "interactive.type must be button or list"
    if set(interactive) - {"type", "header", "body", "footer", "action"}:
        return 100, "interactive has unknown keys"
    if not _text(interactive.get("body"), "text", 1024):
        return 131009, "interactive.body.text must be 1 to 1024 characters"
    header, footer = interactive.get("header"), interactive.get("footer")
    if header is not None and not (
        isinstance(header, dict) and header.get("type") == "text" and _text(header, "text", 60)
    ):
        return 131009, "interactive.header must be {type: text, text: 1 to 60 characters}"
    if footer is not None and not _text(footer, "text", 60):
        return 131009, "interactive.footer.text must be 1 to 60 characters"
    action = interactive.get("action")
    if not isinstance(action, dict):
        return 131008, "interactive.action is required"
    if interactive["type"] == "button":
        return _buttons_problem(action)
    return _list_problem(action)


def _buttons_problem(action: dict) -> tuple[int, str] | None:
    buttons = action.get("buttons")
    if set(action) != {"buttons"} or not (isinstance(buttons, list) and 1 <= len(buttons) <= 3):
        return 131009, "action.buttons must hold 1 to 3 buttons"
    ids = set()
    for button in buttons:
        reply = button.get("reply") if isinstance(button, dict) else None
        if not (
            button.get("type") == "reply"
            and _text(reply, "id", 256)
            and _text(reply, "title", 20)
            and set(reply) == {"id", "title"}
        ):
            return 131009, "a button is {type: reply, reply: {id: 1-256, title: 1-20 chars}}"
        ids.add(reply["id"])
    if len(ids) != len(buttons):
        return 131009, "button ids must be unique"
    return None


def _list_problem(action: dict) -> tuple[int, str] | None:
    sections = action.get("sections")
    if set(action) != {"button", "sections"} or not _text(action, "button", 20):
        return 131009, "action must be {button: 1-20 chars, sections}"
    if not (isinstance(sections, list) and 1 <= len(sections) <= 10):
        return 131009, "action.sections must hold 1 to 10 sections"
    ids = []
    for section in sections:
        rows = section.get("rows") if isinstance(section, dict) else None
        if len(sections) > 1 and not _text(section, "title", 24):
            return 131009, "each of several sections needs a title of 1 to 24 characters"
        if not (isinstance(rows, list) and rows):
            return 131009, "a section needs rows"
        for row in rows:
            if not (
                isinstance(row, dict)
                and set(row) <= {"id", "title", "description"}
                and _text(row, "id", 200)
                and _text(row, "title", 24)
                and ("description" not in row or _text(row, "description", 72))
            ):
                return 131009, "a row is {id: 1-200, title: 1-24, description: 0-72 chars}"
            ids.append(row["id"])
    if len(ids) > 10 or len(set(ids)) != len(ids):
        return 131009, "at most 10 rows in all, with unique ids"
    return None


def _text(container: Any, key: str, longest: int) -> bool:
    value = container.get(key) if isinstance(container, dict) else None
    return isinstance(value, str) and 1 <= len(value) <= longest
