"""A citizen's national id number (NIK) checked for form, the same at every door (the site, the
chat, the counter) and at the orders service that takes the application: 16 digits, province
11..94, birth day 01..31 (41..71 for women), month 01..12, a serial not 0000. Only its form:
whether such a person exists, no one here can tell. The NIK itself is never kept or logged."""

import re

from shared.problems import Text

# ASCII digits only: `\d` would take other scripts' digits, which no KTP prints.
_NIK = re.compile(r"[0-9]{16}")

NIK_LENGTH = Text("NIK harus 16 angka", "A NIK is 16 digits")
NIK_PROVINCE = Text("NIK: kode provinsi (2 angka pertama) tidak ada", "NIK: no such province code")
NIK_DAY = Text("NIK: tanggal lahir (angka ke-7 dan ke-8) tidak sah", "NIK: not a birth day")
NIK_MONTH = Text("NIK: bulan lahir (angka ke-9 dan ke-10) tidak sah", "NIK: not a birth month")
NIK_SERIAL = Text(
    "NIK: nomor urut (4 angka terakhir) tidak boleh 0000",
    "NIK: the serial (last 4 digits) cannot be 0000",
)


def nik_problem(nik: str) -> Text | None:
    """Why `nik` is not of a NIK's form (None: it is)."""
    if not _NIK.fullmatch(nik):
        return NIK_LENGTH
    province, day, month = int(nik[0:2]), int(nik[6:8]), int(nik[8:10])
    if not 11 <= province <= 94:
        return NIK_PROVINCE
    if not (1 <= day <= 31 or 41 <= day <= 71):
        return NIK_DAY
    if not 1 <= month <= 12:
        return NIK_MONTH
    if nik[12:16] == "0000":
        return NIK_SERIAL
    return None
