"""Attack: spreadsheets crafted to take the console down through the producers' import.

Each is refused with the import page saying why (in Indonesian, the console's default), nothing
is registered, and the console still answers. The first is the file an outside attacker used:
a few KB whose sheet claims `A1:XFD2500` and has a cell at XFD2500, which made the import pad
41 million cells on the event loop (seconds, and RSS from 82 to 394 MiB).
"""

import io
import zipfile

import aiohttp
import pytest
from openpyxl import Workbook

from services.console.accounts import Role
from services.console.uploads import MAX_ROWS, MAX_UPLOAD_BYTES
from tools.client import HubClient

HEADER = ["nama", "telepon", "kabupaten"]
PRODUCER = ["Ibu Siti", "081211110001", "Kapuas"]
SHEET = "xl/worksheets/sheet1.xml"


def workbook(rows: list[list]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewritten(data: bytes, change) -> bytes:
    """The XLSX `data` with its first sheet's XML changed by `change`, packed again."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as packed:
        for member in source.infolist():
            content = source.read(member)
            packed.writestr(
                member.filename, change(content) if member.filename == SHEET else content
            )
    return out.getvalue()


def dimension_bomb() -> bytes:
    def claim(xml: bytes) -> bytes:
        xml = xml.replace(b"</sheetData>", b"")
        far = b'<row r="2500"><c r="XFD2500" t="inlineStr"><is><t>x</t></is></c></row>'
        xml = xml.replace(b"<sheetData>", b'<dimension ref="A1:XFD2500"/><sheetData>', 1)
        return xml.replace(b"</worksheet>", far + b"</sheetData></worksheet>")

    return rewritten(workbook([HEADER, PRODUCER]), claim)


def zip_bomb() -> bytes:
    """A real sheet whose one cell unpacks to 40 MB of the same letter: well under a megabyte
    packed."""
    huge = b"A" * (40 * 1024 * 1024)
    return rewritten(
        workbook([HEADER, ["x", "081211110001", "Kapuas"]]),
        lambda xml: xml.replace(b">x<", b">" + huge + b"<", 1),
    )


def entity_bomb() -> bytes:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            b'<!ENTITY lol%d "%s">'
            % (level, (b"&lol%d;" % (level - 1) if level > 1 else b"&lol;") * 10)
            for level in range(1, 10)
        )
        + b"]>"
    )
    return rewritten(
        workbook([HEADER, PRODUCER]),
        lambda xml: laughs + xml.split(b"?>", 1)[-1].replace(b"Ibu Siti", b"&lol9;"),
    )


ATTACKS = {
    # name: (file name, content, what the page must say)
    "dimension bomb": ("produsen.xlsx", dimension_bomb, "lebih dari 30 kolom"),
    "zip bomb": ("produsen.xlsx", zip_bomb, "terlalu besar"),
    "entity bomb": ("produsen.xlsx", entity_bomb, "rusak atau bukan XLSX"),
    "too many rows, xlsx": (
        "produsen.xlsx",
        lambda: workbook([HEADER] + [PRODUCER] * MAX_ROWS),
        f"lebih dari {MAX_ROWS} baris",
    ),
    "too many rows, csv": (
        "produsen.csv",
        lambda: ("nama,telepon,kabupaten\r\n" + "A,0812,K\r\n" * MAX_ROWS).encode(),
        f"lebih dari {MAX_ROWS} baris",
    ),
    "too long a csv line": (
        "produsen.csv",
        lambda: ("nama,telepon,kabupaten\r\n" + "A" * 5000 + ",0812,K\r\n").encode(),
        "lebih dari 4096 karakter",
    ),
    "too many csv columns": (
        "produsen.csv",
        lambda: ("nama,telepon,kabupaten" + ",x" * 40 + "\r\nA,0812,K\r\n").encode(),
        "lebih dari 30 kolom",
    ),
    "not a zip": ("produsen.xlsx", lambda: b"PK\x03\x04" + b"\x00garbage" * 50, "rusak"),
}


async def upload(session, name: str, data: bytes) -> tuple[int, str]:
    form = aiohttp.FormData()
    form.add_field("csrf", session.csrf)
    form.add_field("berkas", io.BytesIO(data), filename=name)
    async with session.http.post("/laporan/impor", data=form, allow_redirects=False) as answer:
        return answer.status, await answer.text()


async def registered_in(client: HubClient, hub: str) -> int:
    answer = await client.call(
        "intake", "GET", f"/v1/producers?hub={hub}&limit=1", headers=client.as_operator()
    )
    return answer["total"]


async def console_answers(session) -> bool:
    async with session.http.get("/health") as health:
        return health.status == 200


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_a_crafted_spreadsheet_is_refused_with_the_page_and_changes_nothing(
    attack, console_as, client: HubClient, hub
):
    name, make, says = ATTACKS[attack]
    session = await console_as(Role.staff)
    await session.page("/laporan/impor")
    status, page = await upload(session, name, make())
    assert status == 422, page[:2000]
    assert says in page and 'class="error"' in page
    assert await registered_in(client, hub) == 0
    assert await console_answers(session)


async def test_a_file_over_the_upload_limit_gets_a_page_not_a_crash(console_as, client, hub):
    session = await console_as(Role.staff)
    await session.page("/laporan/impor")
    status, page = await upload(
        session, "besar.csv", b"nama,telepon\r\n" * (MAX_UPLOAD_BYTES // 14 + 1)
    )
    assert status == 413
    assert "Berkas lebih dari 5 MB" in page
    assert await registered_in(client, hub) == 0
    assert await console_answers(session)


async def test_the_same_producer_in_a_plain_file_is_still_imported(console_as, client, hub):
    """The bounds refuse what is too big, not what is real."""
    session = await console_as(Role.staff)
    await session.page("/laporan/impor")
    status, _ = await upload(session, "produsen.xlsx", workbook([HEADER, PRODUCER]))
    assert status == 303
    assert await registered_in(client, hub) == 1
