"""Order windows (issue 21): a hub takes pre-orders for a product only within a period and up
to a demand cap in units. The rules, as plain data and no I/O; the store locks the windows'
rows and writes what these decide (store/windows.py), in the placing transaction.

While a product of a hub has any window, it is ordered through one: an order is taken only
inside a window's period, not closed early by an operator, and only while the units ordered in
it stay within its cap. A cancelled order does not give its units back: the cap counts demand
(what the producers are asked to make), and a window that reopened each time someone cancelled
would take orders after buyers were told it was full.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

Verdict = Literal["taken", "full", "closed", "none"]


@dataclass
class Window:
    """A window's row as locked for placing, its counts changed as orders are decided."""

    id: object
    hub: str
    sku: str
    opens_at: datetime
    closes_at: datetime
    cap: int
    timezone: str
    closed_at: datetime | None = None
    ordered: int = 0
    orders: int = 0
    refused: int = 0
    by_buyer_type: dict[str, dict[str, int]] = field(default_factory=dict)

    def ends_at(self) -> datetime:
        """When it stops taking orders: its end, or when an operator closed it, if earlier."""
        if self.closed_at is not None and self.closed_at < self.closes_at:
            return self.closed_at
        return self.closes_at

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.ends_at()

    def left(self) -> int:
        return max(self.cap - self.ordered, 0)

    def count(self, buyer_type: str, what: str, units: int = 0) -> None:
        counts = self.by_buyer_type.setdefault(buyer_type, {"units": 0, "orders": 0, "refused": 0})
        counts[what] += 1
        counts["units"] += units


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    window: Window | None = None
    # For a window not open: the next one's opening, when one is planned.
    opens_at: datetime | None = None


def window_for(windows: list[Window], now: datetime) -> tuple[Window | None, Window | None]:
    """Of one product's windows: the one open now (if any), else the next to open (if any)."""
    open_now = [window for window in windows if window.is_open(now)]
    if open_now:
        return open_now[0], None
    later = sorted((w for w in windows if w.opens_at > now and w.closed_at is None), key=_opening)
    return None, (later[0] if later else None)


def decide(windows: list[Window], quantity: int, buyer_type: str, now: datetime) -> Decision:
    """One order against its product's windows, changing the counts of the one it counts in:
    taken (or no window at all: `none`), refused as full, or refused as closed."""
    if not windows:
        return Decision("none")
    current, upcoming = window_for(windows, now)
    if current is None:
        counted = upcoming or max(windows, key=lambda window: window.ends_at())
        counted.refused += 1
        counted.count(buyer_type, "refused")
        return Decision("closed", counted, upcoming.opens_at if upcoming else None)
    if current.ordered + quantity > current.cap:
        current.refused += 1
        current.count(buyer_type, "refused")
        return Decision("full", current)
    current.ordered += quantity
    current.orders += 1
    current.count(buyer_type, "orders", quantity)
    return Decision("taken", current)


def as_shown(windows: list[Window], now: datetime) -> dict | None:
    """A product's windows as buyers see them (models.ProductWindow): None with none at all."""
    if not windows:
        return None
    current, upcoming = window_for(windows, now)
    if current is not None:
        status = "open" if current.left() > 0 else "full"
        return {"status": status, "left": current.left(), "closes_at": current.ends_at()}
    if upcoming is not None:
        return {"status": "upcoming", "left": 0, "opens_at": upcoming.opens_at}
    return {"status": "closed", "left": 0}


def overlaps(window: Window, others: list[Window], now: datetime) -> bool:
    """Whether `window`'s period, from now on, meets that of another of the product's windows
    (one that ended, or was closed, meets none)."""
    starts = max(window.opens_at, now)
    return any(
        other.id != window.id and other.opens_at < window.ends_at() and starts < other.ends_at()
        for other in others
    )


def local(moment: datetime, timezone: str) -> str:
    """A moment as the hub's people read it: its date and time in the hub's zone."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%d-%m-%Y %H:%M %Z")


def _opening(window: Window) -> datetime:
    return window.opens_at
