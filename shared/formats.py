"""Numbers, money and times as staff and buyers read them, in either language. Pure."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

_MONTHS_ID = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def number(value: int | float | None, language: str) -> str:
    """2000 -> '2.000' (Indonesian groups with dots) or '2,000'."""
    if value is None:
        return "–"
    grouped = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0").rstrip(".")
    if language == "en":
        return grouped
    return grouped.translate(str.maketrans({",": ".", ".": ","}))


def rupiah(value: int | None, language: str) -> str:
    return "–" if value is None else f"Rp{number(value, language)}"


def day(value: date | str | None, language: str) -> str:
    """'28 Nov 2026'."""
    if value is None:
        return "–"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    months = _MONTHS_EN if language == "en" else _MONTHS_ID
    return f"{value.day} {months[value.month - 1]} {value.year}"


def moment(value: datetime | str | None, language: str, zone: ZoneInfo) -> str:
    """'28 Nov 2026 14:05' in the hub's zone."""
    if value is None:
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = value.astimezone(zone)
    return f"{day(local.date(), language)} {local:%H:%M}"


# How Indonesians name their three zones; any other by its name in the tz database.
_ZONE_NAMES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


def zone_name(zone: ZoneInfo) -> str:
    """'Asia/Makassar' -> 'WITA': said after a time, so a buyer in another zone reads it right."""
    return _ZONE_NAMES.get(zone.key, zone.key)


def mask_phone(e164: str | None) -> str:
    """'+6281234567890' -> '+62812****7890': the country and operator prefix and the last four,
    enough for its owner to know which phone, not enough to call it.

    At least four digits (more for longer numbers) stay hidden, so a short number never shows
    whole; the mask has one width, so it does not tell how many digits it hides.
    """
    if not e164:
        return ""
    digits = "".join(ch for ch in e164 if ch.isdigit())
    plus = "+" if e164.strip().startswith("+") else ""
    shown = max(0, len(digits) - max(4, len(digits) - 9))
    tail = min(4, shown // 2)
    head = shown - tail
    return f"{plus}{digits[:head]}****{digits[len(digits) - tail :]}"
