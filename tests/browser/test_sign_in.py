"""Signing in, being sent to sign in and back, signing out, and the language switch, in a real
browser."""

import re

import pytest
from playwright.async_api import expect

from services.console.accounts import Role
from tests.browser.conftest import DESKTOP, PHONE, screenshot

pytestmark = pytest.mark.browser


async def test_sign_in_through_the_form_and_out_again(signed_in):
    page = await signed_in(Role.staff)
    await expect(page.locator(".operator")).to_contain_text("(staff)")
    await page.get_by_role("button", name="Keluar").click()
    await expect(page).to_have_url(re.compile(r"/masuk$"))
    await page.goto("/antrean")
    await expect(page).to_have_url(re.compile(r"/masuk\?next="))


async def test_a_wrong_password_is_told_and_stays_on_sign_in(new_page, operators):
    page = await new_page()
    await page.goto("/masuk")
    await page.get_by_label("Nama pengguna").fill(operators[Role.staff].username)
    await page.get_by_label("Kata sandi").fill("bukan-ini-sandinya")
    await page.get_by_role("button", name="Masuk").click()
    await expect(page.get_by_role("alert")).to_contain_text("kata sandi salah")
    await expect(page).to_have_url(re.compile(r"/masuk"))


async def test_a_signed_out_visit_is_sent_to_sign_in_and_back_after(new_page, operators):
    page = await new_page()
    await page.goto("/produsen?q=Ibu")
    await expect(page).to_have_url(re.compile(r"/masuk\?next=/produsen\?q%3DIbu$"))
    account = operators[Role.viewer]
    await page.get_by_label("Nama pengguna").fill(account.username)
    await page.get_by_label("Kata sandi").fill(account.password)
    await page.get_by_role("button", name="Masuk").click()
    await expect(page).to_have_url(re.compile(r"/produsen\?q=Ibu$"))
    await expect(page.get_by_role("heading", name="Produsen", exact=True)).to_be_visible()


async def test_the_language_switch_shows_english_and_back(new_page):
    page = await new_page()
    await page.goto("/masuk")
    await expect(page.get_by_role("heading")).to_have_text("Masuk ke konsol")
    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("heading")).to_have_text("Sign in to the console")
    await expect(page.get_by_label("Username")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await page.get_by_role("link", name="Bahasa Indonesia").click()
    await expect(page.get_by_role("heading")).to_have_text("Masuk ke konsol")


async def test_the_language_switch_keeps_a_signed_in_operator_on_the_page(signed_in):
    page = await signed_in(Role.staff, then="/laporan")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Laporan")
    await page.get_by_role("link", name="English").click()
    await expect(page).to_have_url(re.compile(r"/laporan$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    await expect(page.get_by_role("heading", name="Producers' payouts")).to_be_visible()
    await expect(page.get_by_role("link", name="Counter")).to_be_visible()
    await page.get_by_role("link", name="Bahasa Indonesia").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Laporan")
    await expect(page.get_by_role("link", name="Loket")).to_be_visible()


@pytest.mark.parametrize("width", ["phone", "desktop"])
async def test_screenshots_of_the_sign_in_page(new_page, width):
    page = await new_page({"phone": PHONE, "desktop": DESKTOP}[width])
    await page.goto("/masuk")
    await expect(page.get_by_role("button", name="Masuk")).to_be_visible()
    assert (await screenshot(page, f"sign-in-{width}")).stat().st_size > 0
