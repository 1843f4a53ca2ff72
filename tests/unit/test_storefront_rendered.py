"""Pages rendered once for every visitor (services/storefront/rendered.py)."""

from services.storefront.rendered import MOST_KEPT, RenderedPages


def test_a_page_is_reused_only_for_an_equal_context_and_gets_each_visitors_token():
    pages = RenderedPages()
    key = ("order.html", "id", "/lacak/ABCDE-12345")
    body = f'<input name="csrf" value="{pages.token_mark}"> 3 unit'
    pages.keep(key, {"order": {"allocated": 3}}, body)

    kept = pages.kept(key, {"order": {"allocated": 3}})
    assert pages.for_visitor(kept, "token-ani") == '<input name="csrf" value="token-ani"> 3 unit'
    assert pages.kept(key, {"order": {"allocated": 4}}) is None, "what it shows changed"
    assert pages.kept(("order.html", "en", key[2]), {"order": {"allocated": 3}}) is None


def test_each_site_process_has_its_own_mark_and_the_least_recent_pages_go_first():
    assert RenderedPages().token_mark != RenderedPages().token_mark
    pages = RenderedPages()
    for number in range(MOST_KEPT + 1):
        pages.keep(("home.html", "id", f"/?{number}"), {}, "page")
    assert pages.kept(("home.html", "id", "/?0"), {}) is None
    assert pages.kept(("home.html", "id", f"/?{MOST_KEPT}"), {}) == "page"
