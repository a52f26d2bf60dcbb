"""The API's docs page in a real browser: readable at 360 px, accessible, no JavaScript needed,
nothing loaded from another site."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import assert_accessible, assert_clean, assert_no_horizontal_scroll

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR"])
def test_the_docs_page(live_site, new_page, viewport, locale):
    page = new_page(viewport=viewport, locale=locale)  # axe needs JavaScript; the page has none
    page.goto(f"{live_site.base_url}/api/v1/docs")

    expect(page.locator("h1")).to_be_visible()
    # campaign 2, supporters 2, opt-outs 3, ledger 7, tracker 4
    expect(page.locator(".api-operation")).to_have_count(18)
    expect(page.locator("#api_views_count pre")).to_contain_text('"goal"')
    assert page.locator("script").count() == 0
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    assert_clean(page)
