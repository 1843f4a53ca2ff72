"""Intake's pure rules: how a search matches producers, how shortages add up, which days a
report may span, and what a lot's allocation events add to what it sold."""

import re
import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from shared.events import LotShare

# A report over more than a year is a mistake, or an export too large to be one request.
MAX_REPORT_DAYS = 366
# The units a shortage is reported in; anything else is a typo that would not add up.
SHORTAGE_UNITS = ("kg", "m", "roll", "pcs", "yard")

_NOT_DIGIT = re.compile(r"\D")
# Fewer digits than this match too many numbers to be what someone meant.
_MIN_PHONE_DIGITS = 3


def normalise_material(raw: str) -> str:
    """ "Karet  Elastis " and "karet elastis" are one material, so their amounts add up."""
    return " ".join(raw.split()).lower()


def phone_digits_query(q: str) -> str | None:
    """The digits to look for in stored E.164 numbers (without their "+"), or None when `q` has
    too few digits to be a phone number. People write the national form ("0812..."): that is
    "62812..." as stored; "62812...", "+62 812-..." and a part such as "3456" are kept as they are.
    """
    digits = _NOT_DIGIT.sub("", q)
    if len(digits) < _MIN_PHONE_DIGITS:
        return None
    if digits.startswith("0"):
        return "62" + digits[1:]
    return digits


def contains_pattern(text: str) -> str:
    """A LIKE pattern that matches `text` anywhere, its own `%`, `_` and `\\` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def days_in(start: date, end: date) -> int:
    """How many days a range covers, both ends included."""
    return (end - start).days + 1


def last_days(today: date, count: int = 30) -> tuple[date, date]:
    """The `count` days up to and including `today` (fewer at the start of the calendar)."""
    return date.fromordinal(max(1, today.toordinal() - (count - 1))), today


def units_by_lot(lots: Iterable[LotShare], sign: int) -> dict[uuid.UUID, int]:
    """What an allocation (+1) or a return (-1) changes in each lot's sold units; a lot named
    twice counts twice."""
    units: Counter[uuid.UUID] = Counter()
    for lot in lots:
        units[lot.delivery_id] += sign * lot.quantity
    return dict(units)


def day_at(timezone: str, moment: datetime) -> date:
    """The calendar day `moment` falls on at a hub in `timezone`."""
    return moment.astimezone(ZoneInfo(timezone)).date()
