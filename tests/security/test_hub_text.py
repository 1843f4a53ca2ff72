"""A hub's address is typed by an operator and read by every buyer on the public site and in the
console: a control character or a link in it is refused (as in a name), and markup in it is shown
as text, never run, on every page that shows it."""

import pytest

from services.console.accounts import Role
from tests.security.test_names import BAD_NAMES
from tests.support.storefront import Visitor, running_site
from tools.client import ApiError, HubClient, wait_until

MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)> Jl. \"Damai\" & 'Sejahtera'"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"


@pytest.mark.parametrize("address", BAD_NAMES)
async def test_an_address_with_a_control_character_or_a_link_is_refused(
    client: HubClient, hub: str, address: str
):
    with pytest.raises(ApiError) as refused:
        await client.update_hub(hub, address=address)
    assert refused.value.status == 422
    assert [error["field"] for error in refused.value.body["errors"]] == ["address"]
    assert (await client.call("intake", "GET", f"/v1/hubs/{hub}"))["address"] is None


async def test_markup_in_an_address_is_shown_as_text_on_the_site_and_in_the_console(
    stack, tmp_path_factory, client: HubClient, console_as
):
    async with running_site(stack, tmp_path_factory.mktemp("storefront-hostile")) as site:
        await client.update_hub(site.hub, address=MARKUP)
        visitor = Visitor(site)
        try:

            async def home() -> str | None:
                _, page = await visitor.get("/")
                return page if ESCAPED in page else None

            page = await wait_until(home, what="the hostile address on the home page")
        finally:
            await visitor.close()
        admin = await console_as(Role.admin)
        form = await admin.page(f"/pengaturan-hub/{site.hub}")

    for shown in (page, form):
        assert "<script>alert(1)" not in shown and "<img src=x" not in shown
    assert "Jl. &#34;Damai&#34; &amp; &#39;Sejahtera&#39;" in page
    assert 'value="&lt;script&gt;' in form
