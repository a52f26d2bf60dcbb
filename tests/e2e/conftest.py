"""Fixtures for browser tests: the system Chromium driven by Playwright against ``live_server``.

``new_page`` opens a page in a fresh browser context (``phone_page``, ``desktop_page`` and
``nojs_page`` are shortcuts; the ``viewport`` fixture runs a test at 360 px and at 1280 px).
``live_site`` is the live server with the launched campaign in its database. Every page is
watched (see ``tests.e2e.browser``): a request to any other host is blocked and fails the test
at teardown; console errors and failed requests fail it when the test calls ``assert_clean``.
Browser tests belong in this folder: the fixtures are visible only here, and the browser
closes when the last test of this package has run.

Example::

    from tests.e2e.browser import assert_accessible, assert_clean, assert_no_horizontal_scroll

    pytestmark = pytest.mark.browser

    def test_home_in_french(live_site, phone_page):
        phone_page.goto(live_site.url("home", "fr"))
        assert_accessible(phone_page)
        assert_no_horizontal_scroll(phone_page)
        assert_clean(phone_page)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from campaign.installation import install_launch_content
from campaign.models import Campaign
from tests.conftest import need_service
from tests.e2e.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    forget,
    origin_of,
    path_in,
    watch,
)


@dataclass
class LiveSite:
    """The live server with the launched campaign in its database."""

    base_url: str
    campaign: Campaign

    def url(self, name: str, language: str = "en", **kwargs) -> str:
        """The absolute URL of the ``campaign:<name>`` page (or any ``app:name``)."""
        return self.base_url + path_in(name, language, **kwargs)


@pytest.fixture(scope="package")
def browser() -> Iterator:
    """One headless system Chromium for all the browser tests (skipped, or failed under
    ``REQUIRE_SERVICES``, when it is not installed).

    While Playwright's sync API is running, its event loop counts as running in this thread,
    and Django refuses ORM calls from the tests' fixtures and assertions. So the browser lives
    only as long as this package's tests (not the whole session), and
    ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set for exactly that time.
    """
    need_service("Chromium", CHROMIUM.exists())
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def live_site(transactional_db, live_server) -> LiveSite:
    """The live server, its database holding the campaign as ``load_campaign`` installs it."""
    campaign, _changed = install_launch_content()
    return LiveSite(base_url=live_server.url, campaign=campaign)


@pytest.fixture
def new_page(browser, live_site) -> Iterator[Callable]:
    """``new_page(viewport=DESKTOP, locale="en-GB", javascript=True)`` opens a watched page in
    a fresh context. Contexts close after the test; a third-party request fails it."""
    opened = []
    origin = origin_of(live_site.base_url)

    def open_page(*, viewport: dict = DESKTOP, locale: str = "en-GB", javascript: bool = True):
        context = browser.new_context(
            viewport=viewport, locale=locale, java_script_enabled=javascript
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        watch(context, page, origin, javascript=javascript)
        opened.append((context, page))
        return page

    yield open_page
    leaks = []
    for context, page in opened:
        leaks.extend(forget(page).third_party_requests)
        context.close()
    assert not leaks, "the site made third-party requests:\n" + "\n".join(leaks)


@pytest.fixture(params=[PHONE, DESKTOP], ids=["360px", "1280px"])
def viewport(request) -> dict:
    """Runs the test once at phone width and once at desktop width."""
    return request.param


@pytest.fixture
def phone_page(new_page):
    return new_page(viewport=PHONE)


@pytest.fixture
def desktop_page(new_page):
    return new_page(viewport=DESKTOP)


@pytest.fixture
def nojs_page(new_page):
    """A phone-sized page with JavaScript disabled, for what must work without scripts."""
    return new_page(viewport=PHONE, javascript=False)
