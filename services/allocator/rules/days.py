"""A hub's days: midnight to midnight in the hub's own time zone."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Kalimantan Tengah, the founding case; a hub says otherwise with hub.registered.
DEFAULT_TIMEZONE = "Asia/Jakarta"


def zone_named(name: str | None) -> ZoneInfo:
    """The hub's zone from its stored name (None: the hub was never registered)."""
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except ZoneInfoNotFoundError:
        return ZoneInfo(DEFAULT_TIMEZONE)


def today(zone: ZoneInfo, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(zone).date()


def start_of(day: date, zone: ZoneInfo) -> datetime:
    """The instant the hub's `day` begins."""
    return datetime.combine(day, time(0), tzinfo=zone)


def bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    return start_of(day, zone), start_of(day + timedelta(days=1), zone)
