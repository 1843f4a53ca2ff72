"""Dates and times as people in a hub read them: in words, in the hub's own time zone, in
Bahasa Indonesia and in English. Pure functions; no I/O.
"""

import zoneinfo
from datetime import date, datetime, timedelta

from shared.problems import Text

# A hub that never told us its zone is in Western Indonesian Time, like the founding hub.
DEFAULT_TIMEZONE = "Asia/Jakarta"

MONTHS = (
    Text("Januari", "January"),
    Text("Februari", "February"),
    Text("Maret", "March"),
    Text("April", "April"),
    Text("Mei", "May"),
    Text("Juni", "June"),
    Text("Juli", "July"),
    Text("Agustus", "August"),
    Text("September", "September"),
    Text("Oktober", "October"),
    Text("November", "November"),
    Text("Desember", "December"),
)

# Indonesia's own names for its three zones; any other zone is shown by its UTC offset.
ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}

NO_ESTIMATE = Text(
    "belum dapat diperkirakan (belum ada pasokan baru-baru ini)",
    "cannot be estimated yet (no recent supply)",
)


def hub_zone(name: str | None) -> zoneinfo.ZoneInfo:
    """The zone named, or the default one for a name that is missing or unknown."""
    try:
        return zoneinfo.ZoneInfo(name or DEFAULT_TIMEZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_TIMEZONE)


def date_in_words(day: date) -> Text:
    """date(2026, 12, 1) -> '1 Desember 2026' / '1 December 2026'."""
    month = MONTHS[day.month - 1]
    return Text(f"{day.day} {month.indonesian} {day.year}", f"{day.day} {month.english} {day.year}")


def estimate_in_words(day: date | None) -> Text:
    """An estimated date, or that there is none yet."""
    return NO_ESTIMATE if day is None else date_in_words(day)


def zone_label(local: datetime) -> str:
    """WIB, WITA or WIT for Indonesia's zones; else the offset, as 'UTC+8' or 'UTC-3:30'."""
    name = getattr(local.tzinfo, "key", None)
    if name in ZONE_ABBREVIATIONS:
        return ZONE_ABBREVIATIONS[name]
    offset = local.utcoffset() or timedelta(0)
    if not offset:
        return "UTC"
    sign = "-" if offset < timedelta(0) else "+"
    hours, rest = divmod(int(abs(offset).total_seconds()), 3600)
    minutes = rest // 60
    return f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")


def time_in_words(moment: datetime, timezone: str | None) -> Text:
    """An aware moment as the hub's clock shows it: '30 November 2026 14.00 WIB' (Indonesians
    write the time with a dot) / '30 November 2026 14:00 WIB'."""
    local = moment.astimezone(hub_zone(timezone))
    day, label = date_in_words(local.date()), zone_label(local)
    return Text(
        f"{day.indonesian} {local:%H.%M} {label}",
        f"{day.english} {local:%H:%M} {label}",
    )


def estimate_moved(estimated: date | None, previous: date | None) -> Text:
    """Which way an estimate went: earlier ('maju'), later ('mundur'), or to or from unknown."""
    if estimated is None or previous is None:
        return Text("berubah", "changed")
    if estimated < previous:
        return Text("maju", "moved earlier")
    if estimated > previous:
        return Text("mundur", "moved later")
    return Text("berubah", "changed")


def in_both(key: str, text: Text) -> dict[str, str]:
    """Template parameters `<key>_id` and `<key>_en` for a text in both languages."""
    return {f"{key}_id": text.indonesian, f"{key}_en": text.english}
