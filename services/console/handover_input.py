"""What the counter's hand-over box was given: an order code typed or read out, or the buyer's
tracking link as a USB scanner types it from the QR (then Enter). Pure: no I/O.

Only the code is taken out. The link is never followed, and nothing of what was typed is shown
back: a page says which code it looked for (the alphabet's characters only) or that there was
none. A link must be the tracking page's, `http(s)://<host>[/<path>]/lacak/<code>` (scheme and
host may be left off; a trailing `/`, a query or a fragment is ignored); any other scheme
(`javascript:`), path (`/lacak/../x`) or character (controls, escapes like `%2F`) is no code.
"""

import re
import unicodedata
from dataclasses import dataclass

from shared.order_codes import order_code_from, shown
from shared.problems import Text

# The longest link a QR of ours carries is well under this; a scanner adds nothing.
MAX_TYPED = 200

# Case-blind: a scanner with Caps Lock on types HTTPS://…/LACAK/…. The host is checked only for
# its characters (it is never asked for); the site may sit under a path (`/pesan/lacak/…`),
# whose segments start with no dot. The code's segment: what order_code_from forgives (dashes
# and spaces, look-alikes), up to its own length limit.
_LINK = re.compile(
    r"(?:(?:https?://)?[a-z0-9.-]+(?::[0-9]{1,5})?)?"
    r"(?:/[a-z0-9_~-][a-z0-9._~-]*)*"
    r"/lacak/([0-9a-z -]{1,30})/?(?:[?#].*)?",
    re.IGNORECASE,
)

EMPTY = Text("Ketik atau pindai kode pesanan pembeli", "Type or scan the buyer's order code")
TOO_LONG = Text(
    f"Terlalu panjang untuk kode pesanan (paling banyak {MAX_TYPED} karakter)",
    f"Too long for an order code (at most {MAX_TYPED} characters)",
)
NOT_A_CODE = Text(
    "Bukan kode pesanan: kode berupa 10 huruf dan angka, seperti ABCDE-12345, "
    "atau tautan lacak dari kode QR pembeli",
    "Not an order code: a code is 10 letters and digits, like ABCDE-12345, "
    "or the tracking link from the buyer's QR code",
)


@dataclass(frozen=True)
class Reading:
    """The code as kept (10 characters, no dash), or why there is none."""

    code: str | None = None
    refused: Text | None = None

    @property
    def shown(self) -> str:
        return shown(self.code) if self.code else ""


def _has_controls(typed: str) -> bool:
    return any(unicodedata.category(character).startswith("C") for character in typed)


def read(typed: str) -> Reading:
    """The order code in what was typed: a bare code, or the tracking link's last segment."""
    if len(typed) > MAX_TYPED:
        return Reading(refused=TOO_LONG)
    typed = typed.strip()
    if not typed:
        return Reading(refused=EMPTY)
    if _has_controls(typed) or not typed.isascii():
        return Reading(refused=NOT_A_CODE)
    if "/" in typed:
        link = _LINK.fullmatch(typed)
        typed = link.group(1) if link else ""
    code = order_code_from(typed)
    return Reading(code=code) if code else Reading(refused=NOT_A_CODE)
