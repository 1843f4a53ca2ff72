"""Rendering a page: the template, plus what every page needs (language, who is signed in, the
CSRF token, the hub, and the formatting helpers)."""

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from services.console.accounts import Role
from services.console.backends import is_code
from services.console.sessions import CSRF, OPERATOR
from shared.pages import page_context
from shared.problems import Text

LANGUAGE_COOKIE = "plut_lang"
HUB_COOKIE = "plut_hub"
DEFAULT_HUB = web.AppKey("default_hub", str)
# The buyers' site (PUBLIC_SITE_URL), where a programme's draws are published; "" if none.
PUBLIC_SITE = web.AppKey("public_site", str)


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
    common = {
        **page_context(request, language(request)),
        "operator": request.get(OPERATOR),
        "csrf": request.get(CSRF, ""),
        "hub": hub_of(request),
        "path": request.path,
        "Role": Role,
    }
    return aiohttp_jinja2.render_template(template, request, {**common, **context}, status=status)
