"""Rendering a page: the template, plus what every page needs (language, who is signed in, the
CSRF token, the hub, and the formatting helpers)."""

from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web

from services.console import formats
from services.console.accounts import Role
from services.console.backends import is_code
from services.console.sessions import CSRF, OPERATOR
from shared.problems import Text

LANGUAGE_COOKIE = "plut_lang"
HUB_COOKIE = "plut_hub"
DEFAULT_HUB = web.AppKey("default_hub", str)
ZONE = ZoneInfo("Asia/Jakarta")


def language(request: web.Request) -> str:
    return "en" if request.cookies.get(LANGUAGE_COOKIE) == "en" else "id"


def hub_of(request: web.Request) -> str:
    """The hub the operator works at: the one chosen in this browser, else the console's own.
    A cookie is the browser's to write: one that is no hub's code is not used."""
    chosen = request.cookies.get(HUB_COOKIE, "")
    return chosen if is_code(chosen) else request.app[DEFAULT_HUB]


def text(request: web.Request, words: Text) -> str:
    return words.in_language(language(request))


def render(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    lang = language(request)
    common = {
        "lang": lang,
        "T": lambda indonesian, english: english if lang == "en" else indonesian,
        "operator": request.get(OPERATOR),
        "csrf": request.get(CSRF, ""),
        "hub": hub_of(request),
        "path": request.path,
        "path_qs": request.path_qs,
        "Role": Role,
        # Versioned by content, so a browser never keeps an old stylesheet or script.
        "static": lambda name: str(request.app.router["static"].url_for(filename=name)),
        "number": lambda value: formats.number(value, lang),
        "rupiah": lambda value: formats.rupiah(value, lang),
        "day": lambda value: formats.day(value, lang),
        "moment": lambda value: formats.moment(value, lang, ZONE),
    }
    return aiohttp_jinja2.render_template(template, request, {**common, **context}, status=status)
