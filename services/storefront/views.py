"""Rendering a page: the template, plus what every page needs (the language and its switch, the
form token, the formatting helpers)."""

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from shared.pages import page_context
from shared.problems import Text

LANGUAGE_COOKIE = "sf_lang"
FORM_TOKEN = web.RequestKey("form_token", str)


def language(request: web.Request) -> str:
    return "en" if request.cookies.get(LANGUAGE_COOKIE) == "en" else "id"


def text(request: web.Request, words: Text) -> str:
    return words.in_language(language(request))


def render(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    lang = language(request)
    common = {
        **page_context(request, lang),
        "say": lambda words: words.in_language(lang),
        "csrf": request.get(FORM_TOKEN, ""),
    }
    return aiohttp_jinja2.render_template(template, request, {**common, **context}, status=status)


class PageError(Exception):
    """A page that says what went wrong and what to do, with its status."""

    def __init__(
        self,
        status: int,
        title: Text,
        detail: Text | None = None,
        *,
        retry_after: float | None = None,
    ):
        super().__init__(title.en)
        self.status = status
        self.title = title
        self.detail = detail
        self.retry_after = retry_after
