"""The columns of a file staff bring back (producers, bulk orders): its header row's titles, in
either language, as the fields they stand for, and its cells as text. Pure."""

from typing import Any

from services.console.uploads import Table, UnreadableFile
from shared.problems import Text


def cell_text(value: Any, field_name: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and field_name == "phone":
        # A phone typed into a number cell lost its leading 0 (or +): put it back.
        digits = str(value)
        return "+" + digits if digits.startswith("62") else "0" + digits
    return str(value).strip()


def title_words(title: str) -> str:
    """A header as compared: `Buyer_Type`, `buyer  type` and `buyer type` are one."""
    return " ".join(title.lower().replace("_", " ").split())


def header_of(
    table: Table,
    columns: dict[str, tuple[str, ...]],
    required: tuple[str, ...],
    names: dict[str, Text],
) -> tuple[int, dict[int, str]]:
    """The header's row number (the first row with anything in it) and the field of each of its
    columns, by index; `columns` gives each field's titles, `names` how to name it to staff.
    Unknown, repeated and missing required columns are refused, saying which."""
    header_at, header = next(
        ((number, cells) for number, cells in table if any(cell_text(c) for c in cells)), (0, [])
    )
    if not header:
        raise UnreadableFile(Text("Berkas kosong", "The file is empty"))
    known = {title_words(title): name for name, titles in columns.items() for title in titles}
    fields: dict[int, str] = {}
    unknown = []
    for index, title in enumerate(header):
        words = title_words(cell_text(title))
        if not words:
            continue
        if words not in known:
            unknown.append(cell_text(title)[:40])
        elif known[words] in fields.values():
            raise UnreadableFile(Text(f"Kolom '{words}' ada dua kali", f"Column '{words}' twice"))
        else:
            fields[index] = known[words]
    if unknown:
        listed = ", ".join(f"'{name}'" for name in unknown)
        raise UnreadableFile(
            Text(
                f"Kolom tidak dikenal: {listed}; yang dikenal: "
                + ", ".join(name.indonesian for name in names.values()),
                f"Unknown columns: {listed}; known: "
                + ", ".join(name.english for name in names.values()),
            )
        )
    missing = [names[name] for name in required if name not in fields.values()]
    if missing:
        raise UnreadableFile(
            Text(
                "Kolom wajib tidak ada: " + ", ".join(name.indonesian for name in missing),
                "Missing columns: " + ", ".join(name.english for name in missing),
            )
        )
    return header_at, fields
