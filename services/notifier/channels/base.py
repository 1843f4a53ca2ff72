"""What every channel adapter takes and what it answers.

An adapter sends one message and either returns `Accepted` or raises `SendFailure` saying what
the failure means for the dispatcher: try the same channel later, try it later knowing the
message may already have gone, or give up on this channel for this person and fall back.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any, ClassVar, Protocol

from services.notifier.channels.page import as_html


@dataclass(frozen=True)
class Content:
    """One message rendered in one language, in every form a channel may need."""

    template: str  # the purpose, e.g. "order_allocated"; WhatsApp's template name derives from it
    language: str  # "id" or "en"
    subject: str  # email subject
    text: str  # the full message: the email's plain-text part
    short: str  # the SMS text
    parameters: tuple[str, ...]  # the values of the body's placeholders in order: {{1}}..{{n}}
    # A reply in a chat: WhatsApp sends it as a session message, not a template
    # (`channels.whatsapp.session_body`); SMS sends `short` as ever.
    session: Mapping[str, Any] | None = None

    @cached_property
    def html(self) -> str:
        """The email's HTML part, written when read: only email reads it."""
        return as_html(self.subject, self.text, self.language)


@dataclass(frozen=True)
class Outgoing:
    message_id: uuid.UUID  # stable across retries: the provider's idempotency key where it has one
    correlation_id: str
    address: str  # an E.164 phone number ("+6281234567890") or an email address
    recipient_name: str
    content: Content


@dataclass(frozen=True)
class Accepted:
    provider_id: str | None  # the provider's id for the message (wamid..., SMS id, Message-ID)
    answer: str  # what the provider said, one short line for the message log


class Outcome(StrEnum):
    TEMPORARY = "temporary"  # not sent: the provider, the network or a rate limit; retry later
    UNKNOWN = "unknown"  # the request went out and no answer came: it may have been sent
    PERMANENT = "permanent"  # this channel cannot reach this person: fall back to the next one


class SendFailure(Exception):
    def __init__(self, outcome: Outcome, answer: str, retry_after: float | None = None) -> None:
        super().__init__(answer)
        self.outcome = outcome
        self.answer = answer  # one short line for the message log: never a token or full number
        self.retry_after = retry_after  # seconds, when the provider said how long to wait


class Channel(Protocol):
    name: ClassVar[str]  # "whatsapp", "sms" or "email"

    async def send(self, outgoing: Outgoing) -> Accepted: ...

    async def close(self) -> None: ...
