"""Order codes: what a buyer reads over the phone, types at the counter or opens as a link to
follow one order. The orders service gives every order one (its database draws it, migration
0008); this is how the code is written and read back. Pure: no I/O.

An order code is 10 characters of Crockford's base32 (50 random bits, about 10^15 codes), shown
as `XXXXX-XXXXX`: short enough to read aloud, and with a few thousand orders a day nobody hits
another's by guessing. Crockford's alphabet has no I, L, O or U, and reading it back forgives
the look-alikes (I and L as 1, O as 0), case, spaces and dashes.
"""

import secrets
from typing import Annotated

from pydantic import StringConstraints

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ORDER_CODE_LENGTH = 10
_HALF = ORDER_CODE_LENGTH // 2
_LOOK_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_CHARACTER = "[0-9A-HJKMNP-TV-Z]"

# A code as the APIs and events carry it: shown, with its dash.
ShownOrderCode = Annotated[
    str, StringConstraints(pattern=f"^{_CHARACTER}{{{_HALF}}}-{_CHARACTER}{{{_HALF}}}$")
]


def new_order_code() -> str:
    """10 random characters, kept without the dash."""
    return "".join(secrets.choice(ALPHABET) for _ in range(ORDER_CODE_LENGTH))


def shown(code: str) -> str:
    """`ABCDE12345` -> `ABCDE-12345`."""
    return f"{code[:_HALF]}-{code[_HALF:]}"


def order_code_from(typed: str) -> str | None:
    """The code as kept, from what a person typed or a link carried; None if it cannot be one."""
    if len(typed) > 3 * ORDER_CODE_LENGTH:
        return None
    code = "".join(typed.split()).replace("-", "").upper().translate(_LOOK_ALIKES)
    if len(code) != ORDER_CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code
