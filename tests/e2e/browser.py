"""Helpers for browser tests: the Chromium to launch, page watching and the checks every page
should pass. The fixtures that use them live in ``tests/e2e/conftest.py``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
BLOCKING_IMPACTS = {"serious", "critical"}


def path_in(name: str, language: str, **kwargs) -> str:
    """The path of the ``campaign:<name>`` page (or of any ``app:name``) in ``language``."""
    with translation.override(language):
        return reverse(name if ":" in name else f"campaign:{name}", kwargs=kwargs or None)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# --- Watching a page ---------------------------------------------------------------------


@dataclass
class PageLog:
    """What went wrong while a page was open, filled in by Playwright's event handlers."""

    origin: str
    javascript: bool = True
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    third_party_requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"console error: {text}" for text in self.console_errors]
            + [f"uncaught exception: {text}" for text in self.page_errors]
            + [f"failed request: {text}" for text in self.failed_requests]
            + [f"third-party request (blocked): {url}" for url in self.third_party_requests]
        )


_LOGS: dict[object, PageLog] = {}


def page_log(page) -> PageLog:
    """The log of a page opened by the ``new_page`` fixture."""
    return _LOGS[page]


def watch(context, page, origin: str, *, javascript: bool = True) -> PageLog:
    """Record the page's errors, and abort (and record) every request that leaves ``origin``:
    the site must load nothing from anyone else, and tests must never reach the internet."""
    log = PageLog(origin=origin, javascript=javascript)

    def route(route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:", "about:")) or origin_of(url) == origin:
            route.continue_()
        else:
            log.third_party_requests.append(url)
            route.abort("blockedbyclient")

    def on_console(message) -> None:
        if message.type == "error":
            log.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def on_request_failed(request) -> None:
        # A request the browser itself cancelled because the test navigated away (a favicon
        # still loading, say) is not a fault of the page.
        if request.failure == "net::ERR_ABORTED" and request.resource_type != "document":
            return
        if origin_of(request.url) == origin:
            log.failed_requests.append(f"{request.method} {request.url}: {request.failure}")

    context.route("**/*", route)
    page.on("console", on_console)
    page.on("pageerror", lambda error: log.page_errors.append(str(error)))
    page.on("requestfailed", on_request_failed)
    _LOGS[page] = log
    return log


def forget(page) -> PageLog:
    return _LOGS.pop(page)


# --- Checks ------------------------------------------------------------------------------


def assert_clean(page) -> None:
    """Fail on any console error, uncaught exception, failed or third-party request so far."""
    problems = page_log(page).problems()
    assert not problems, f"{page.url} had problems:\n" + "\n".join(problems)


def assert_accessible(page, *, context: str | None = None) -> None:
    """Run axe on the page (or on the ``context`` selector) and fail on every serious or
    critical violation, listing the elements each one found. Needs JavaScript enabled."""
    from axe_playwright_python.sync_playwright import Axe

    if not page_log(page).javascript:
        # axe's promise never settles without timers: it would hang rather than fail.
        pytest.fail("assert_accessible needs JavaScript: run axe on a page from new_page()")

    results = Axe().run(page, context=context)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]
    lines = []
    for violation in blocking:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.extend(f"    {' '.join(map(str, node['target']))}" for node in violation["nodes"])
    assert not blocking, f"axe found violations on {page.url}:\n" + "\n".join(lines)


# The outermost elements wider than the window: where to look first.
_STICKING_OUT = """() => {
  const sticksOut = el => el && el.getBoundingClientRect().right > window.innerWidth + 0.5;
  return [...document.querySelectorAll('body *')]
    .filter(el => sticksOut(el) && !sticksOut(el.parentElement))
    .slice(0, 10)
    .map(el => el.tagName.toLowerCase()
      + (typeof el.className === 'string' && el.className.trim()
         ? '.' + el.className.trim().split(/\\s+/).join('.') : ''));
}"""


def assert_no_horizontal_scroll(page) -> None:
    """Fail if the page scrolls sideways, naming the elements that stick out. Measured once
    the page has loaded: right after a click that submits a form, the next page's first
    elements show before its stylesheet has arrived, and unstyled it is wider."""
    page.wait_for_load_state("load")
    scroll_width, inner_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    if scroll_width > inner_width:
        culprits = page.evaluate(_STICKING_OUT)
        pytest.fail(
            f"{page.url} is {scroll_width}px wide in a {inner_width}px window; "
            f"sticking out: {', '.join(culprits) or '(none found)'}"
        )


def save_screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as ``var/screenshots/<name>.png`` for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
