"""The producers' file staff bring back: its table (read within bounds by uploads.py) as rows
to import, headers in either language; and the empty template to fill in. Pure."""

import io
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from services.console.uploads import Table, UnreadableFile
from shared.problems import Text

IMPORT_COLUMNS = {
    # the field intake takes: the headers it may have, in either language
    "name": ("nama", "name"),
    "phone": ("telepon", "phone", "no hp", "hp"),
    "regency": ("kabupaten", "regency", "kabupaten/kota"),
    "email": ("email", "surel", "e-mail"),
    "language": ("bahasa", "language"),
    "channel": ("saluran", "channel"),
}
REQUIRED = ("name", "phone", "regency")
TEMPLATE_HEADERS = {
    "id": ("nama", "telepon", "kabupaten", "email", "bahasa", "saluran"),
    "en": ("name", "phone", "regency", "email", "language", "channel"),
}


@dataclass(frozen=True)
class ImportRow:
    row: int  # as the spreadsheet numbers it: the header is row 1
    fields: dict[str, str]


def read_producers(table: Table) -> list[ImportRow]:
    """The producers in an uploaded file's table; UnreadableFile says why there are none."""
    header_at, header = next(
        ((number, cells) for number, cells in table if any(_cell(c) for c in cells)), (0, [])
    )
    if not header:
        raise UnreadableFile(Text("Berkas kosong", "The file is empty"))
    fields = _fields_of(header)
    rows = []
    for number, cells in table:
        if number <= header_at:
            continue
        values = {
            fields[index]: _cell(value, fields[index])
            for index, value in enumerate(cells)
            if index in fields and _cell(value, fields[index])
        }
        if values:  # blank rows (Excel keeps many) are skipped
            rows.append(ImportRow(number, values))
    if not rows:
        raise UnreadableFile(Text("Berkas tidak berisi produsen", "The file has no producers"))
    return rows


def _fields_of(header: list[Any]) -> dict[int, str]:
    known = {alias: name for name, aliases in IMPORT_COLUMNS.items() for alias in aliases}
    fields, unknown = {}, []
    for index, title in enumerate(header):
        words = _cell(title).lower()
        if not words:
            continue
        if words not in known:
            unknown.append(_cell(title))
        elif known[words] in fields.values():
            raise UnreadableFile(Text(f"Kolom '{words}' ada dua kali", f"Column '{words}' twice"))
        else:
            fields[index] = known[words]
    if unknown:
        names = ", ".join(f"'{name}'" for name in unknown)
        raise UnreadableFile(
            Text(
                f"Kolom tidak dikenal: {names}; yang dikenal: " + ", ".join(TEMPLATE_HEADERS["id"]),
                f"Unknown columns: {names}; known: " + ", ".join(TEMPLATE_HEADERS["en"]),
            )
        )
    missing = [name for name in REQUIRED if name not in fields.values()]
    if missing:
        ids = ", ".join(IMPORT_COLUMNS[name][0] for name in missing)
        ens = ", ".join(IMPORT_COLUMNS[name][1] for name in missing)
        raise UnreadableFile(Text(f"Kolom wajib tidak ada: {ids}", f"Missing columns: {ens}"))
    return fields


def _cell(value: Any, field_name: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and field_name == "phone":
        # A phone typed into a number cell lost its leading 0 (or +): put it back.
        digits = str(value)
        return "+" + digits if digits.startswith("62") else "0" + digits
    return str(value).strip()


def template(language: str) -> bytes:
    """An empty producers' sheet with the headers, the phone column as text (so Excel keeps
    its leading 0)."""
    book = Workbook()
    sheet = book.active
    sheet.title = Text("Produsen", "Producers").in_language(language)
    sheet.append(list(TEMPLATE_HEADERS[language]))
    for index, width in enumerate((28, 16, 24, 28, 10, 12), start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = width
        sheet[f"{letter}1"].font = Font(bold=True)
    for (cell,) in sheet.iter_rows(min_row=2, max_row=500, min_col=2, max_col=2):
        cell.number_format = "@"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
