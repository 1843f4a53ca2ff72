"""A reply in a chat: text, with reply buttons or a list to choose from, as it is kept in the
message's params (`as_params`) and read back by the senders (`from_params`). WhatsApp sends it
as a session message (`channels.whatsapp.session_body` reads these params); SMS sends its
text, with the choices written out as words to type. Pure: no I/O.

Meta's limits, which `Reply` keeps: up to 3 buttons with titles of 20 characters; a list of up to
10 rows with titles of 24 and descriptions of 72 characters, its button 20; a body of 1024
characters for an interactive message, 4096 for text.
"""

from dataclasses import dataclass
from typing import Any

TEMPLATE = "chat_reply"  # the messages' `template` for a reply: it has no template file
MOST_BUTTONS = 3
MOST_ROWS = 10
BUTTON_TITLE = 20
ROW_TITLE = 24
ROW_DESCRIPTION = 72
INTERACTIVE_BODY = 1024
TEXT_BODY = 4096


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


@dataclass(frozen=True)
class Button:
    id: str
    title: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "title", _cut(self.title, BUTTON_TITLE))


@dataclass(frozen=True)
class Row:
    id: str
    title: str
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "title", _cut(self.title, ROW_TITLE))
        object.__setattr__(self, "description", _cut(self.description, ROW_DESCRIPTION))


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()
    rows: tuple[Row, ...] = ()  # a list message, opened by `list_button`
    list_button: str = ""

    def __post_init__(self) -> None:
        if self.buttons and self.rows:
            raise ValueError("a reply has buttons or a list, not both")
        if len(self.buttons) > MOST_BUTTONS or len(self.rows) > MOST_ROWS:
            raise ValueError("too many buttons or rows for one message")
        most = INTERACTIVE_BODY if self.buttons or self.rows else TEXT_BODY
        object.__setattr__(self, "text", _cut(self.text, most))
        object.__setattr__(self, "list_button", _cut(self.list_button, BUTTON_TITLE))

    def as_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"text": self.text}
        if self.buttons:
            params["buttons"] = [{"id": b.id, "title": b.title} for b in self.buttons]
        if self.rows:
            params["list"] = {
                "button": self.list_button,
                "rows": [
                    {"id": r.id, "title": r.title, "description": r.description} for r in self.rows
                ],
            }
        return params

    def as_sms(self) -> str:
        """The text, and the choices as words to type back."""
        choices = [b.title for b in self.buttons] + [r.title for r in self.rows]
        if not choices:
            return self.text
        return self.text + "\n" + "\n".join(f"- {c}" for c in choices)


def from_params(params: dict[str, Any]) -> Reply:
    listed = params.get("list") or {}
    return Reply(
        text=params["text"],
        buttons=tuple(Button(b["id"], b["title"]) for b in params.get("buttons", ())),
        rows=tuple(
            Row(r["id"], r["title"], r.get("description", "")) for r in listed.get("rows", ())
        ),
        list_button=listed.get("button", ""),
    )
