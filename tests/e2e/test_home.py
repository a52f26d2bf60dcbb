"""The public pages in a real browser: both languages, phone and desktop widths, axe, no
sideways scrolling, nothing loaded from other hosts, the language switcher."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import (
    PHONE,
    assert_accessible,
    assert_clean,
    assert_no_horizontal_scroll,
    save_screenshot,
)

pytestmark = pytest.mark.browser

TITLES = {"en": "Stealing Isn't Innovation", "fr": "Voler n'est pas innover"}
LANGUAGE_LINKS = {"en": "English", "fr": "Français"}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_home_page(live_site, new_page, viewport, language):
    page = new_page(viewport=viewport)
    page.goto(live_site.url("home", language))

    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", level=1, name=TITLES[language])).to_be_visible()
    expect(page.locator("[data-count]")).to_be_visible()
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    save_screenshot(page, f"home-{language}-{viewport['width']}")
    assert_clean(page)


def test_home_page_works_without_javascript(live_site, nojs_page):
    nojs_page.goto(live_site.url("home", "fr"))

    expect(nojs_page.get_by_role("heading", level=1, name=TITLES["fr"])).to_be_visible()
    expect(nojs_page.locator("[data-count]")).to_be_visible()
    assert_no_horizontal_scroll(nojs_page)
    assert_clean(nojs_page)


def test_language_switcher_keeps_the_page(live_site, new_page):
    page = new_page(viewport=PHONE)
    first_stake = live_site.campaign.stakes.order_by("position").first()
    page.goto(live_site.url("why", "en"))
    expect(page.get_by_role("heading", level=3, name=first_stake.title_en)).to_be_visible()

    page.locator(".lang-switch").get_by_role("link", name=LANGUAGE_LINKS["fr"]).click()
    expect(page).to_have_url(live_site.url("why", "fr"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=3, name=first_stake.title_fr)).to_be_visible()
    expect(page.locator(".lang-switch [aria-current]")).to_have_text(LANGUAGE_LINKS["fr"])

    page.locator(".lang-switch").get_by_role("link", name=LANGUAGE_LINKS["en"]).click()
    expect(page).to_have_url(live_site.url("why", "en"))
    expect(page.get_by_role("heading", level=3, name=first_stake.title_en)).to_be_visible()
    assert_clean(page)


@pytest.mark.parametrize(
    ("browser_locale", "language"),
    [("fr-FR", "fr"), ("en-GB", "en"), ("de-DE", "en")],
    ids=["french", "english", "other-falls-back-to-english"],
)
def test_root_follows_the_browser_language(live_site, new_page, browser_locale, language):
    page = new_page(locale=browser_locale)
    page.goto(live_site.base_url + "/")

    expect(page).to_have_url(live_site.url("home", language))
    expect(page.get_by_role("heading", level=1, name=TITLES[language])).to_be_visible()
    assert_clean(page)


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("name", ["why", "about", "privacy"])
def test_other_pages_are_accessible(live_site, phone_page, name, language):
    phone_page.goto(live_site.url(name, language))

    expect(phone_page.locator("html")).to_have_attribute("lang", language)
    expect(phone_page.get_by_role("heading", level=1)).to_be_visible()
    expect(phone_page).to_have_title(re.compile(re.escape(TITLES[language])))
    assert_no_horizontal_scroll(phone_page)
    assert_accessible(phone_page)
    assert_clean(phone_page)
