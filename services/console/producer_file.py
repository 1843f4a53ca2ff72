"""The producers' file staff bring back: its table (read within bounds by uploads.py) as rows
to import, headers in either language; and the empty template to fill in. Pure."""

import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from services.console.sheet_columns import cell_text, header_of
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
COLUMN_NAMES = {
    field: Text(id_title, en_title)
    for field, id_title, en_title in zip(
        IMPORT_COLUMNS, TEMPLATE_HEADERS["id"], TEMPLATE_HEADERS["en"], strict=True
    )
}


@dataclass(frozen=True)
class ImportRow:
    row: int  # as the spreadsheet numbers it: the header is row 1
    fields: dict[str, str]


def read_producers(table: Table) -> list[ImportRow]:
    """The producers in an uploaded file's table; UnreadableFile says why there are none."""
    header_at, fields = header_of(table, IMPORT_COLUMNS, REQUIRED, COLUMN_NAMES)
    rows = []
    for number, cells in table:
        if number <= header_at:
            continue
        values = {
            fields[index]: cell_text(value, fields[index])
            for index, value in enumerate(cells)
            if index in fields and cell_text(value, fields[index])
        }
        if values:  # blank rows (Excel keeps many) are skipped
            rows.append(ImportRow(number, values))
    if not rows:
        raise UnreadableFile(Text("Berkas tidak berisi produsen", "The file has no producers"))
    return rows


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
