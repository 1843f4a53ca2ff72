"""Message templates: one file per purpose and language, `templates/<language>/<purpose>.txt`,
rendered into every form a channel needs.

A file has three sections separated by a line `---`: the subject (one line); the body, which is
the email's text part and the approved WhatsApp template's body; and the short SMS text.
Placeholders are `$name` style. `$name` is the recipient's name; any other `$x` takes
`params["x"]`, else `params["x_<language>"]` (the consumers pass dates in words in both
languages). Text goes in made harmless (`shared.names.harmless`): no control characters, no
links, but for the one link of ours (`links.Link`: an order's tracking page). A placeholder
with no value is an error, never a blank in a message a person reads.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from pathlib import Path
from string import Template
from typing import Any

from services.notifier.channels.base import Content
from services.notifier.links import Link
from shared.names import harmless

LANGUAGES = ("id", "en")
TEMPLATES = Path(__file__).parent / "templates"
SECTION_BREAK = re.compile(r"^---[ \t]*$", re.MULTILINE)
MONEY_SUFFIX = "_rupiah"
# Text of these characters alone is harmless as it is: no control character, no dot, colon,
# `@` or slash, so nothing a link could be made of (ids, codes, most names).
PLAIN = re.compile(r"[A-Za-z0-9 ,-]*")


class MissingParameter(LookupError):
    """A placeholder without a value: the message would have a blank where a fact belongs."""


@dataclass(frozen=True)
class Source:
    """One template file's three sections."""

    subject: Template
    body: Template
    short: Template

    @cached_property
    def placeholders(self) -> frozenset[str]:
        return frozenset(
            name
            for section in (self.subject, self.body, self.short)
            for name in section.get_identifiers()
        )

    @cached_property
    def parameters(self) -> tuple[str, ...]:
        """The body's placeholders in order: WhatsApp's {{1}}..{{n}}."""
        return tuple(self.body.get_identifiers())

    @cached_property
    def formats(self) -> tuple[str, str, str]:
        """The sections as `str.format_map` strings: filled in C, several times faster than
        `Template.substitute`, which calls back into Python for each placeholder."""
        return tuple(_as_format(section) for section in (self.subject, self.body, self.short))


def _as_format(template: Template) -> str:
    def placeholder(match: re.Match) -> str:
        if match["escaped"] is not None:
            return "$"
        return "{" + (match["named"] or match["braced"]) + "}"

    braces_escaped = template.template.replace("{", "{{").replace("}", "}}")
    return template.pattern.sub(placeholder, braces_escaped)


def known_templates() -> set[str]:
    """The purposes that have a file in every language."""
    per_language = ({path.stem for path in (TEMPLATES / lang).glob("*.txt")} for lang in LANGUAGES)
    return set.intersection(*per_language)


@cache
def load(template: str, language: str) -> Source:
    """A template file, checked once: three sections, a one-line subject, no stray `$`."""
    if language not in LANGUAGES:
        raise ValueError(f"no messages in language {language!r}; there are {LANGUAGES}")
    if template not in known_templates():  # also keeps a name like "../x" out of the path
        raise LookupError(f"no template {template!r} in every language")
    path = TEMPLATES / language / f"{template}.txt"
    sections = [section.strip() for section in SECTION_BREAK.split(path.read_text("utf-8"))]
    if len(sections) != 3:
        raise ValueError(f"{path}: want subject, body and short text, separated by lines '---'")
    source = Source(*(Template(section) for section in sections))
    if "\n" in sections[0]:
        raise ValueError(f"{path}: the subject must be one line")
    for section in (source.subject, source.body, source.short):
        if not section.is_valid():
            raise ValueError(f"{path}: a '$' that is no placeholder; write '$$' for a dollar")
    return source


def render(template: str, language: str, recipient_name: str, params: Mapping[str, Any]) -> Content:
    """One message in one language, in every form a channel may need."""
    source = load(template, language)
    values = {key: value_of(key, language, recipient_name, params) for key in source.placeholders}
    subject, text, short = (section.format_map(values) for section in source.formats)
    return Content(
        template=template,
        language=language,
        subject=subject,
        text=text,
        short=short,
        parameters=tuple(one_line(values[key]) for key in source.parameters),
    )


def value_of(key: str, language: str, recipient_name: str, params: Mapping[str, Any]) -> str:
    """What `$key` reads as in `language`."""
    if key == "name":
        value = recipient_name
    else:
        value = params.get(key, params.get(f"{key}_{language}"))
    if value is None:
        raise MissingParameter(f"no value for ${key}: give {key!r} or '{key}_{language}'")
    written = formatted(key, value, language)
    if not written.strip():
        raise MissingParameter(f"${key} is blank")
    return written


def formatted(key: str, value: Any, language: str) -> str:
    """Whole numbers as each language groups digits; a `*_rupiah` one as money; text as it is,
    but harmless: names come from partners and older data, and no control character or link of
    theirs goes out in the hub's messages (shared/names.py)."""
    if type(value) is int:  # not bool, which would read "1"
        number = f"{value:,}" if language == "en" else f"{value:,}".replace(",", ".")
        return f"Rp{number}" if key.endswith(MONEY_SUFFIX) else number
    if isinstance(value, Link):  # ours: the buyers' site and a checked code
        return str(value)
    if isinstance(value, str):
        return shown(value)
    raise TypeError(f"${key} must be a whole number or text, not {value!r}")


def shown(text: str) -> str:
    """`shared.names.harmless(text)`, checked once per text: its link patterns cost more than
    the rest of a message's rendering, and products, hubs and dates repeat."""
    return text if PLAIN.fullmatch(text) else _harmless(text)


_harmless = lru_cache(maxsize=4096)(harmless)


def one_line(value: str) -> str:
    """WhatsApp refuses a parameter with a newline, a tab or more than four spaces in a row."""
    return " ".join(value.split())
