"""The browser fixtures of tests/e2e (a headless system Chromium driven by Playwright against
``live_server``), for the tracker. The browser lives as long as this package."""

from tests.e2e.conftest import (  # noqa: F401 - fixtures
    browser,
    desktop_page,
    live_site,
    new_page,
    nojs_page,
    phone_page,
    viewport,
)
