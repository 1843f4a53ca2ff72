"""Where the console sends a browser next: only ever a path on this console.

Every redirect goes through `see_other`. A target that came from outside (a sign-in link's
`next`, a form's) is read the way a browser will read it before it is judged: browsers drop
TAB, CR and LF anywhere in a URL and treat `\\` as `/`, so `/\\t/evil.example` is
`//evil.example`, another site. So a target with any control character, whitespace or
backslash is refused outright rather than cleaned, and what is left must parse as a path
alone: one leading `/`, not `//`, no scheme, no host.
"""

import unicodedata
from urllib.parse import urlsplit

from aiohttp import web

HOME = "/"


def local_path(target: str | None, fallback: str = HOME) -> str:
    """`target` if it is a path on this console, else `fallback`."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target or any(
        character.isspace() or unicodedata.category(character).startswith("C")
        for character in target
    ):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return fallback
    return target


def see_other(target: str | None, fallback: str = HOME) -> web.HTTPSeeOther:
    """A 303 to `target`, if it is a path on this console, else to `fallback`; to raise."""
    return web.HTTPSeeOther(local_path(target, fallback))
