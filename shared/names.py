"""What a name a person typed may hold, and how one that slipped in is made harmless.

Names (of buyers, producers, hubs, products, regions) come from outside the centre, from any
partner, and go out in the hub's own emails, SMS and official WhatsApp template. So a name may
not hold a character that changes how a message is read or written (CR and LF split an email
header; bidi overrides reverse text; zero-width characters hide it), nor look like a link: the
hub's official channel must not carry anyone's URL, shop or handle (spam, phishing).
"""

import re
import unicodedata

# Categories no name needs: control (Cc), format (Cf: bidi overrides, zero-width characters),
# surrogates (Cs), private use (Co); and the line and paragraph separators (Zl, Zp).
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}

# The same, as far as a JSON-schema pattern can say it (ECMA-262, Python and Rust regex alike):
# the C0 and C1 controls, DEL, the soft hyphen, the Arabic letter mark, zero-width characters,
# the line and paragraph separators, bidi embeddings, overrides and isolates, invisible operators,
# the byte-order mark. The check below also refuses the rest of those categories.
CONTROL_CLASS = (
    r"\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff"
    r"\ufff9-\ufffb"
)

# Dots as link detectors see them: also the ideographic and full-width ones (NFKC folds some).
_DOT = r"[.\u3002\uff0e\uff61]"
_SCHEME = re.compile(
    r"[a-z][a-z0-9+.-]*:/{1,}|\b(?:https?|ftp|file|mailto|tel|sms|whatsapp|javascript|data|intent)"
    r"\s*:",
    re.IGNORECASE,
)
_WWW = re.compile(rf"\bwww\d*{_DOT}", re.IGNORECASE)
# A handle or an address: `@` before a letter or digit ("@tokomurah", "x@evil.id").
_HANDLE = re.compile(r"@\w")
# Top-level domains that spam uses, and that no Indonesian name or title ends a word with after a
# dot. Titles such as "S.Kom", "M.Si", "Dr.Ir." or "PT.Maju" stay allowed: .si and .ir are left
# out on purpose, and a name is refused only when a word is followed by one of these.
_TLDS = (
    "com|net|org|info|biz|id|io|co|me|ly|gl|gd|gg|sh|to|tv|cc|ws|xyz|top|site|online|link|"
    "click|app|dev|shop|store|live|club|vip|icu|tk|ml|ga|cf|gq|ru|cn|uk|us|eu|pw|win|bid|"
    "loan|work|fun|space|website|tech|pro|page|cloud|one|mobi|asia|wang|kim|men|ink|ooo|tokyo"
)
_DOMAIN = re.compile(rf"\w[\w-]*{_DOT}(?:{_TLDS})(?![\w-])", re.IGNORECASE)
# A link without its scheme ("//jahat.example", also inside `<a href=//...>`): a browser or an app
# reads it as one on whatever top-level domain; "Sari // Toko" is no host.
_SCHEMELESS = re.compile(rf"(?<![\w/])//[\w-]+(?:{_DOT}[\w-]+)+")
_LINK_PATTERNS = (_SCHEME, _WWW, _HANDLE, _DOMAIN, _SCHEMELESS)


def refused_character(text: str) -> str | None:
    """The first character a name may not hold, as `U+000A`; None when there is none."""
    for character in text:
        if unicodedata.category(character) in _REFUSED_CATEGORIES:
            return f"U+{ord(character):04X}"
    return None


def looks_like_link(text: str) -> bool:
    """True for a name that a reader, or a messaging app, would take for a link or a handle."""
    folded = unicodedata.normalize("NFKC", text)
    return any(pattern.search(folded) for pattern in _LINK_PATTERNS)


def harmless(text: str) -> str:
    """A name as a message may show it, whatever older data holds: refused characters become
    spaces, and a name that looks like a link has its dots, colons and `@` broken ("evil[.]id",
    "https[:]//", "[at]"), so no app makes it a link."""
    shown = "".join(
        " " if unicodedata.category(character) in _REFUSED_CATEGORIES else character
        for character in text
    )
    if not looks_like_link(shown):
        return shown
    shown = unicodedata.normalize("NFKC", shown)
    shown = re.sub(_DOT, "[.]", shown)
    return shown.replace(":", "[:]").replace("@", "[at]")
