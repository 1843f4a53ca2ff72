"""Rendering a page: the template, plus what every page needs (the language and its switch, the
form token, the formatting helpers)."""

from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web

from services.console import formats  # pure: numbers, money and dates in either language
from shared.problems import Text

LANGUAGE_COOKIE = "sf_lang"
FORM_TOKEN = web.RequestKey("form_token", str)
# Each static file's versioned URL, made once: aiohttp reads and hashes the file at every
# url_for, which cost a page under a crowd more than its template.
STATIC_URLS = web.AppKey("static_urls", dict[str, str])
ZONE = ZoneInfo("Asia/Jakarta")


def language(request: web.Request) -> str:
    return "en" if request.cookies.get(LANGUAGE_COOKIE) == "en" else "id"


def text(request: web.Request, words: Text) -> str:
    return words.in_language(language(request))


def render(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    lang = language(request)
    common = {
        "lang": lang,
        "T": lambda indonesian, english: english if lang == "en" else indonesian,
        "say": lambda words: words.in_language(lang),
        "csrf": request.get(FORM_TOKEN, ""),
        "path_qs": request.path_qs,
        # Versioned by content, so a browser never keeps an old stylesheet.
        "static": request.app[STATIC_URLS].__getitem__,
        "number": lambda value: formats.number(value, lang),
        "rupiah": lambda value: formats.rupiah(value, lang),
        "day": lambda value: formats.day(value, lang),
        "moment": lambda value: formats.moment(value, lang, ZONE),
    }
    return aiohttp_jinja2.render_template(template, request, {**common, **context}, status=status)


class PageError(Exception):
    """A page that says what went wrong and what to do, with its status."""

    def __init__(self, status: int, title: Text, detail: Text | None = None):
        super().__init__(title.en)
        self.status = status
        self.title = title
        self.detail = detail
