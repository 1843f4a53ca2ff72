"""What a person's chat message asks for, in Bahasa Indonesia or English: the keyword read
forgivingly (case, spacing, punctuation, and one slip of the thumb in a word of four letters or
more), with an order code after `BATAL`. A button or list row chosen carries its own id and is
read apart (`choices`). Pure: no I/O.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from shared.order_codes import order_code_from


class Intent(StrEnum):
    STOP = "stop"  # no more WhatsApp notifications to this number
    START = "start"  # WhatsApp again
    STATUS = "status"  # my open orders
    CANCEL = "cancel"  # BATAL <code>
    ORDER = "order"  # order by chat
    PROGRAMME = "programme"  # apply to a free-mask programme by chat
    OTHER = "other"  # anything else: the help message


KEYWORDS: dict[str, Intent] = {
    "stop": Intent.STOP,
    "berhenti": Intent.STOP,
    "unsubscribe": Intent.STOP,
    "mulai": Intent.START,
    "start": Intent.START,
    "status": Intent.STATUS,
    "cek": Intent.STATUS,
    "batal": Intent.CANCEL,
    "cancel": Intent.CANCEL,
    "pesan": Intent.ORDER,
    "order": Intent.ORDER,
    "program": Intent.PROGRAMME,
    "programme": Intent.PROGRAMME,
}
# The keywords only one language has: a number that writes one is answered in it. STOP and
# STATUS are both languages' words and say nothing of it.
LANGUAGE_OF_KEYWORD = {
    "berhenti": "id",
    "mulai": "id",
    "cek": "id",
    "batal": "id",
    "pesan": "id",
    "unsubscribe": "en",
    "start": "en",
    "cancel": "en",
    "order": "en",
    "programme": "en",
}
# A slip is forgiven in words this long: "stp" or "cke" may be another word entirely.
FORGIVING_FROM = 4
# What a keyword may be written with: letters only once punctuation is gone.
_WORD = re.compile(r"[^\W\d_]+|\d+")
LONGEST_READ = 200  # a keyword message is short; a long one is no command


@dataclass(frozen=True)
class Read:
    intent: Intent
    code: str | None = None  # for CANCEL: the order code as kept (no dash), if one was given
    language: str | None = None  # "id" or "en" for a keyword only that language has


def read(text: str | None) -> Read:
    """The intent of a typed message. `BATAL` alone, or with what cannot be a code, is a
    CANCEL without a code (the reply asks for it)."""
    if not text or len(text) > LONGEST_READ:
        return Read(Intent.OTHER)
    words = text.split()
    if not words:
        return Read(Intent.OTHER)
    first = "".join(_WORD.findall(words[0].lower()))
    rest = words[1:]
    if not first and len(words) > 1:  # "*STOP*" splits fine; "- stop" leaves "-" first
        first, rest = "".join(_WORD.findall(words[1].lower())), words[2:]
    known = keyword(first)
    if known is None:
        return Read(Intent.OTHER)
    intent, language = KEYWORDS[known], LANGUAGE_OF_KEYWORD.get(known)
    if intent is Intent.CANCEL:
        typed = "".join(rest).strip(".,!?;:#*\"'")
        return Read(intent, order_code_from(typed) if typed else None, language)
    if rest and intent not in (
        Intent.ORDER,
        Intent.PROGRAMME,
    ):  # "stop it" yes; "status pesanan saya" yes too
        return Read(intent, language=language) if len(rest) <= 3 else Read(Intent.OTHER)
    return Read(intent, language=language)


def keyword(word: str) -> str | None:
    """The keyword a word is, exactly or but for one slip (a letter wrong, missing, extra or
    two swapped) when both are at least four letters long."""
    if word in KEYWORDS:
        return word
    if len(word) < FORGIVING_FROM - 1:
        return None
    near = [
        known
        for known in KEYWORDS
        if len(known) >= FORGIVING_FROM
        and len(word) >= FORGIVING_FROM - 1
        and one_slip(word, known)
    ]
    return near[0] if len({KEYWORDS[known] for known in near}) == 1 else None


def one_slip(a: str, b: str) -> bool:
    """Whether `a` becomes `b` by one edit: a letter changed, added or dropped, or two
    neighbours swapped (Damerau's, restricted)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and (a[diff[1]] == b[diff[0]])
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    for i in range(len(long)):
        if long[:i] + long[i + 1 :] == short:
            return True
    return False
