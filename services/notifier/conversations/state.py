"""Where one number's conversation stands, and the rules on it: how many of its messages a
minute are answered, how often it gets the help message, when an order begun by chat is
forgotten. Kept in the `conversations` table (`store/conversations.py`); pure here.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

HELP_EVERY = timedelta(hours=1)
STEP_LASTS = timedelta(minutes=30)
MINUTE = timedelta(minutes=1)


class Step(StrEnum):
    """An order, a cancel or a programme's application by chat under way: what the next
    message is read as."""

    HUB = "hub"  # a hub from the list
    PRODUCT = "product"  # a product from the list
    QUANTITY = "quantity"  # a number typed
    CONFIRM_ORDER = "confirm_order"  # the button
    CONFIRM_CANCEL = "confirm_cancel"  # the button
    PROGRAMME = "programme"  # a programme from the list
    PROGRAMME_NAME = "programme_name"  # the applicant's name typed
    PROGRAMME_REGION = "programme_region"  # their regency typed
    PROGRAMME_QUANTITY = "programme_quantity"  # a number typed
    PROGRAMME_NIK = "programme_nik"  # the NIK typed: the application goes (never kept)


@dataclass(frozen=True)
class Conversation:
    phone: str
    step: Step | None = None
    choices: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None
    helped_at: datetime | None = None
    minute_from: datetime | None = None
    handled_in_minute: int = 0
    slowed_at: datetime | None = None
    language: str | None = None  # of the last keyword it wrote that only one language has

    def at(self, step: Step | None, now: datetime, **choices: Any) -> "Conversation":
        """On to `step`, with these choices added (none kept when the step is None)."""
        kept = {**self.choices, **choices} if step is not None else {}
        return replace(self, step=step, choices=kept, updated_at=now)

    def current(self, now: datetime) -> "Conversation":
        """As it stands now: a step left for longer than `STEP_LASTS` is forgotten."""
        if self.step is not None and (
            self.updated_at is None or now - self.updated_at > STEP_LASTS
        ):
            return replace(self, step=None, choices={})
        return self


class Admission(StrEnum):
    HANDLE = "handle"
    SLOW_DOWN = "slow_down"  # over the limit: not read, and told so once a minute at most
    IGNORE = "ignore"  # over the limit, and told already


def admit(
    conversation: Conversation, now: datetime, most_per_minute: int
) -> tuple[Conversation, Admission]:
    """Counts this message in its number's minute; the first `most_per_minute` are handled."""
    if conversation.minute_from is None or now - conversation.minute_from >= MINUTE:
        conversation = replace(conversation, minute_from=now, handled_in_minute=0)
    if conversation.handled_in_minute < most_per_minute:
        counted = replace(conversation, handled_in_minute=conversation.handled_in_minute + 1)
        return counted, Admission.HANDLE
    told = conversation.slowed_at is not None and conversation.slowed_at >= conversation.minute_from
    if told:
        return conversation, Admission.IGNORE
    return replace(conversation, slowed_at=now), Admission.SLOW_DOWN


def may_help(conversation: Conversation, now: datetime) -> bool:
    """The help message goes at most once an hour to a number."""
    return conversation.helped_at is None or now - conversation.helped_at >= HELP_EVERY


def quantity_from(text: str | None, most: int) -> int | None:
    """A typed quantity: digits, with dots or spaces grouping them ("1.000", "1 000"); None
    when it is not a whole number from 1 to `most`."""
    if text is None:
        return None
    digits = "".join(text.split()).replace(".", "").replace(",", "")
    if not digits.isascii() or not digits.isdigit() or len(digits) > 9:
        return None
    quantity = int(digits)
    return quantity if 1 <= quantity <= most else None
