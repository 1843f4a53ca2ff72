"""Rendering a page: the template, plus what every page needs (the language and its switch, the
form token, the formatting helpers)."""

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from services.storefront.rendered import RenderedPages
from shared.pages import page_context
from shared.problems import Text

LANGUAGE_COOKIE = "sf_lang"
FORM_TOKEN = web.RequestKey("form_token", str)
RENDERED_PAGES = web.AppKey("rendered_pages", RenderedPages)


def language(request: web.Request) -> str:
    return "en" if request.cookies.get(LANGUAGE_COOKIE) == "en" else "id"


def text(request: web.Request, words: Text) -> str:
    return words.in_language(language(request))


def render(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    common = _common(request, request.get(FORM_TOKEN, ""))
    return aiohttp_jinja2.render_template(template, request, {**common, **context}, status=status)


def render_shared(request: web.Request, template: str, context: dict[str, Any]) -> web.Response:
    """As `render`, for a page that is the same for every visitor in a language but for their
    form token (rendered.py): `context` must hold everything the page shows."""
    pages = request.app[RENDERED_PAGES]
    key = (template, language(request), request.path_qs)
    body = pages.kept(key, context)
    if body is None:
        common = _common(request, pages.token_mark)
        body = aiohttp_jinja2.render_string(template, request, {**common, **context})
        pages.keep(key, context, body)
    return web.Response(
        text=pages.for_visitor(body, request.get(FORM_TOKEN, "")), content_type="text/html"
    )


def _common(request: web.Request, form_token: str) -> dict[str, Any]:
    lang = language(request)
    return {
        **page_context(request, lang),
        "say": lambda words: words.in_language(lang),
        "csrf": form_token,
    }


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
        super().__init__(title.english)
        self.status = status
        self.title = title
        self.detail = detail
        self.retry_after = retry_after
