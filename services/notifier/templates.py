"""Message templates: files in `templates/`, Bahasa Indonesia first, English below.

A file's first line is the subject; the rest is the body, with `$name`-style placeholders.
A placeholder without a value is an error, never a blank in a message someone reads. A value
of None leaves out each line that names it: a sentence that does not apply to this message.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template
from typing import Any

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def indonesian_number(value: int) -> str:
    """2000 -> '2.000', as Indonesians write it."""
    return f"{value:,}".replace(",", ".")


@cache
def _load(template: str) -> tuple[str, Template]:
    subject, _, body = (TEMPLATES / f"{template}.txt").read_text().partition("\n")
    return subject.strip(), Template(body.strip("\n") + "\n")


def render(template: str, recipient_name: str, params: dict[str, Any]) -> Rendered:
    subject, body = _load(template)
    values = {
        key: indonesian_number(value) if isinstance(value, int) else value
        for key, value in params.items()
    }
    left_out = {key for key, value in values.items() if value is None}
    if left_out:
        body = Template(
            "".join(
                line
                for line in body.template.splitlines(keepends=True)
                if not left_out & _placeholders(line)
            )
        )
    return Rendered(subject, body.substitute(values, name=recipient_name))


def _placeholders(text: str) -> set[str]:
    return {
        match.group("named") or match.group("braced")
        for match in Template.pattern.finditer(text)
        if match.group("named") or match.group("braced")
    }


def known_templates() -> set[str]:
    return {path.stem for path in TEMPLATES.glob("*.txt")}
