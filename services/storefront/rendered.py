"""Pages a crowd opens (the home page; an order's page shared in a family chat) rendered once
for everyone, and again only when what they show changed: the figures and orders behind them
are kept a few seconds anyway (figures.py, order_reads.py), so most visitors would otherwise
render the same page again. Rendering is most of a page's cost.

Each visitor's own form token is put in afterwards, where the page holds a random mark that
nothing a page shows can contain. Bounded: the least recently shown pages are forgotten first.
"""

import secrets
from typing import Any

from services.storefront.recent import Recent

MOST_KEPT = 2_000


class RenderedPages:
    def __init__(self) -> None:
        self.token_mark = secrets.token_hex(16)
        self._pages: Recent[tuple, tuple[dict[str, Any], str]] = Recent(MOST_KEPT)

    def kept(self, key: tuple, context: dict[str, Any]) -> str | None:
        """The page rendered for `key` from an equal context, if any."""
        page = self._pages.get(key)
        return None if page is None or page[0] != context else page[1]

    def keep(self, key: tuple, context: dict[str, Any], body: str) -> None:
        self._pages[key] = (context, body)

    def for_visitor(self, body: str, form_token: str) -> str:
        return body.replace(self.token_mark, form_token)
