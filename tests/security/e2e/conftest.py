"""The browser fixtures of tests/e2e (a headless system Chromium driven by Playwright against
``live_server``), for the pages under the real Content-Security-Policy."""

from tests.e2e.conftest import (  # noqa: F401 - fixtures
    browser,
    desktop_page,
    live_site,
    new_page,
    nojs_page,
    phone_page,
    viewport,
)
