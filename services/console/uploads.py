"""Files staff upload, read as tables within bounds: every upload to the console goes through
here. The files come from outside the centre, so nothing in them is trusted before it is read:
not the size a spreadsheet claims for its sheet (`<dimension ref="A1:XFD1048576">` would make
a reader pad 17 billion cells), not the sizes its zip members unpack to, not the length of a
CSV line. What is too big is refused with a page that says which limit, before it is parsed;
what is parsed is parsed in a thread, so the console goes on answering meanwhile.

The limits leave room for the largest real file (intake imports at most 5,000 producers).
"""

import asyncio
import csv
import io
import zipfile
from typing import Any

from aiohttp import web
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from shared.problems import Text

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # the console's request limit (app.py)
MAX_ROWS = 10_000  # sheet rows read: the header and blank rows count
MAX_COLUMNS = 30
MAX_CSV_LINE = 4_096  # characters
MAX_UNPACKED_BYTES = 20 * 1024 * 1024  # all of an XLSX's members, unpacked
MAX_MEMBERS = 200  # files inside an XLSX
# Excel writes no DTD: one in a spreadsheet's XML can only be there to expand entities.
_XML_TRAPS = (b"<!DOCTYPE", b"<!ENTITY", b"\x00")

Table = list[tuple[int, list[Any]]]  # (the row's number as the sheet shows it, its cells)


class UnreadableFile(ValueError):
    """The upload cannot be read; `message` says why in both languages."""

    def __init__(self, message: Text):
        super().__init__(message.english)
        self.message = message


NEITHER = Text(
    "Berkas bukan XLSX atau CSV; simpan dari Excel sebagai .xlsx atau .csv",
    "The file is neither XLSX nor CSV; save it from Excel as .xlsx or .csv",
)
DAMAGED = Text("Berkas XLSX rusak atau bukan XLSX", "The XLSX file is damaged or not XLSX")
TOO_MANY_ROWS = Text(
    f"Berkas lebih dari {MAX_ROWS} baris; bagi menjadi beberapa berkas",
    f"The file has more than {MAX_ROWS} rows; split it into several files",
)
TOO_MANY_COLUMNS = Text(
    f"Berkas lebih dari {MAX_COLUMNS} kolom", f"The file has more than {MAX_COLUMNS} columns"
)
TOO_BIG_UNPACKED = Text(
    f"Isi berkas XLSX terlalu besar (lebih dari {MAX_UNPACKED_BYTES // 2**20} MB setelah dibuka)",
    f"The XLSX file's content is too big (over {MAX_UNPACKED_BYTES // 2**20} MB unpacked)",
)
LONG_LINE = Text(
    f"Ada baris CSV lebih dari {MAX_CSV_LINE} karakter",
    f"A CSV line is longer than {MAX_CSV_LINE} characters",
)
TOO_BIG = Text(
    f"Berkas lebih dari {MAX_UPLOAD_BYTES // 2**20} MB",
    f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MB",
)
NO_FILE = Text("Pilih berkas XLSX atau CSV dulu", "Choose an XLSX or CSV file first")


def read_table(data: bytes) -> Table:
    """An XLSX or CSV, whichever it is by its content (not its name), as rows of cells."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UnreadableFile(TOO_BIG)
    return _xlsx_rows(data) if data[:4] == b"PK\x03\x04" else _csv_rows(data)


async def uploaded_table(request: web.Request, field: str) -> Table:
    """The file sent in the form's `field`, read off the event loop."""
    form = await request.post()
    upload = form.get(field)
    if not isinstance(upload, web.FileField):
        raise UnreadableFile(NO_FILE)
    data = await asyncio.to_thread(upload.file.read, MAX_UPLOAD_BYTES + 1)
    return await asyncio.to_thread(read_table, data)


def _check_archive(data: bytes) -> None:
    """Refuse a zip whose members are too many or unpack to too much, before any is parsed.
    The sizes are the zip's directory's: Python's zipfile stops unpacking a member there."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise UnreadableFile(DAMAGED)
            if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
                raise UnreadableFile(TOO_BIG_UNPACKED)
            for member in members:
                unpacked = archive.read(member)
                if any(trap in unpacked for trap in _XML_TRAPS):
                    raise UnreadableFile(DAMAGED)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as error:
        raise UnreadableFile(DAMAGED) from error


def _xlsx_rows(data: bytes) -> Table:
    _check_archive(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise UnreadableFile(DAMAGED) from error
    try:
        if not book.worksheets:
            raise UnreadableFile(DAMAGED)
        sheet = book.worksheets[0]
        # A sheet that claims to be larger than the limits is refused at once (no spreadsheet
        # program writes a size it does not have); one that claims less is not believed either.
        if (sheet.max_row or 0) > MAX_ROWS:
            raise UnreadableFile(TOO_MANY_ROWS)
        if (sheet.max_column or 0) > MAX_COLUMNS:
            raise UnreadableFile(TOO_MANY_COLUMNS)
        # The bounds are ours, not the sheet's: one row and one column past them are read only
        # to tell that the file goes past them.
        rows = sheet.iter_rows(
            min_row=1, max_row=MAX_ROWS + 1, max_col=MAX_COLUMNS + 1, values_only=True
        )
        table = []
        for number, cells in enumerate(rows, start=1):
            _within_bounds(number, cells)
            table.append((number, list(cells)))
        return table
    finally:
        book.close()


def _within_bounds(number: int, cells: Any) -> None:
    filled = [index for index, value in enumerate(cells) if value not in (None, "")]
    if number > MAX_ROWS and filled:
        raise UnreadableFile(TOO_MANY_ROWS)
    if filled and filled[-1] >= MAX_COLUMNS:
        raise UnreadableFile(TOO_MANY_COLUMNS)


def _csv_rows(data: bytes) -> Table:
    if b"\x00" in data[:4096]:
        raise UnreadableFile(NEITHER)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's plain "CSV" on Windows writes the ANSI code page, not UTF-8.
        text = data.decode("cp1252", errors="replace")
        if any(ord(c) < 32 and c not in "\r\n\t" for c in text[:4096]):
            raise UnreadableFile(NEITHER) from None
    lines = text.splitlines()
    if len(lines) > MAX_ROWS:
        raise UnreadableFile(TOO_MANY_ROWS)
    if any(len(line) > MAX_CSV_LINE for line in lines):
        raise UnreadableFile(LONG_LINE)
    try:
        # Excel set to Indonesian separates with semicolons.
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    table = []
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
            _within_bounds(number, cells)
            table.append((number, cells))
    except csv.Error as error:  # a quoted field running on past the lines' limit, say
        raise UnreadableFile(NEITHER) from error
    return table
