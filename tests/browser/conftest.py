"""Browser fixtures: Debian's Chromium driven by Playwright (no browser download), signed in
through the console's real sign-in form, at phone and desktop width, with screenshots kept as
artefacts (and one of every open page when a test fails).

CHROMIUM_PATH names another Chromium; ARTIFACTS_DIR another folder for the screenshots.
"""

import contextlib
import os
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from playwright.async_api import Error as PlaywrightError

from services.console.accounts import Role
from tests.support.console import Account
from tests.support.stack import Stack
from tests.support.storefront import Site, new_address

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# What this machine's Chromium needs to start headless in a container, and to stay off the net.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
ARTIFACTS = Path(
    os.environ.get("ARTIFACTS_DIR", Path(__file__).parent.parent / "artifacts" / "screenshots")
)
# How long an action or an expectation waits for its sign before failing: only a guard, far
# above a page that waits on four services on a machine busy with two suites at once.
TIMEOUT_MS = 60_000
HOW_TO_INSTALL = "apt-get install chromium (Debian), or set CHROMIUM_PATH to a Chromium binary"

_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Remember a failed test, so its pages are photographed before they close."""
    report = yield
    if report.failed:
        item.stash[_FAILED] = True
    return report


async def screenshot(page: Page, name: str) -> Path:
    """The whole page (not only what fits the window) as ARTIFACTS/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=path, full_page=True)
    return path


@pytest.fixture(scope="session")
async def browser() -> Browser:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM}: {HOW_TO_INSTALL}", pytrace=False)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
def console_url(stack: Stack) -> str:
    return stack["console"].url


@pytest.fixture
async def new_page(request: pytest.FixtureRequest, browser: Browser, console_url: str, hub: str):
    """`await new_page(viewport=PHONE)`: a signed-out page in a fresh context (its own cookies)
    working at the test's `hub`. Every page is photographed if the test fails."""
    contexts: list[BrowserContext] = []

    async def make(viewport: dict = DESKTOP) -> Page:
        context = await browser.new_context(
            base_url=console_url, viewport=viewport, accept_downloads=True, locale="id-ID"
        )
        context.set_default_timeout(TIMEOUT_MS)
        await context.add_cookies([{"name": "plut_hub", "value": hub, "url": console_url}])
        contexts.append(context)
        return await context.new_page()

    yield make
    await close_contexts(request, contexts)


async def close_contexts(request: pytest.FixtureRequest, contexts: list[BrowserContext]) -> None:
    """Each context closed, its pages photographed first if the test failed."""
    if request.node.stash.get(_FAILED, False):
        test = re.sub(r"[^\w.-]+", "_", request.node.name)
        for c, context in enumerate(contexts):
            for p, page in enumerate(context.pages):
                # A page that crashed or closed has nothing to show; the test's own error stands.
                with contextlib.suppress(PlaywrightError):
                    await screenshot(page, f"failures/{test}-{c}-{p}")
    for context in contexts:
        await context.close()


async def sign_in(page: Page, account: Account, then: str = "/") -> Page:
    """Through the form, as a person would; ends on `then`."""
    await page.goto(f"/masuk?next={quote(then)}")
    await page.get_by_label("Nama pengguna").fill(account.username)
    await page.get_by_label("Kata sandi").fill(account.password)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Masuk").click()
    assert "/masuk" not in page.url, f"sign-in as {account.username} stayed on {page.url}"
    return page


@pytest.fixture
async def signed_in(new_page, operators: dict[Role, Account]):
    """`page = await signed_in(Role.staff, viewport=PHONE, then="/loket")`."""

    async def make(role: Role, viewport: dict = DESKTOP, then: str = "/") -> Page:
        return await sign_in(await new_page(viewport), operators[role], then)

    return make


@pytest.fixture
async def phone_pages(request: pytest.FixtureRequest, browser: Browser, site: Site):
    """`await phone_pages(javascript=False)`: a phone's browser on the buyers' site, counting
    the bytes each page brings and noting anything asked of another site."""
    contexts = []

    async def make(javascript: bool) -> Page:
        context = await browser.new_context(
            base_url=site.url,
            viewport=PHONE,
            java_script_enabled=javascript,
            locale="id-ID",
            extra_http_headers={"X-Forwarded-For": new_address()},
        )
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        page = await context.new_page()
        page.weights, page.elsewhere = {}, []

        async def weigh(response) -> None:
            kind = response.request.resource_type
            if kind in ("document", "stylesheet", "script") and not 300 <= response.status < 400:
                # A page left before its body was read is not the one `fits` weighs.
                with contextlib.suppress(PlaywrightError):
                    page.weights[response.url] = (kind, len(await response.body()))

        def asked(request) -> None:
            if not request.url.startswith((site.url + "/", "data:")):
                page.elsewhere.append(request.url)

        page.on("response", weigh)
        page.on("request", asked)
        return page

    yield make
    await close_contexts(request, contexts)
