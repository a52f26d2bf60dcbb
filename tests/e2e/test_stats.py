"""The figures, sharing and the embeddable counter in a real browser: both languages, phone and
desktop widths, axe, no sideways scrolling, sorting without JavaScript, the copy button, and
the counter inside another site's iframe."""

from __future__ import annotations

import datetime
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from signatures import stats
from signatures.services import refresh_signature_counts
from tests.e2e.browser import (
    PHONE,
    assert_accessible,
    assert_clean,
    assert_no_horizontal_scroll,
    save_screenshot,
)
from tests.factories import SignatureFactory, SupporterFactory

pytestmark = pytest.mark.browser

HEADINGS = {"en": "The appeal in figures"}
COUNTRIES = ["FR", "GB", "DE", "US", "CA", "BE", "CH", "IT", "ES", "JP", "BR", "CD", "NZ"]
FIELDS = ["writer", "actor", "musician", "screenwriter", "visual-artist", "singer-songwriter"]


@pytest.fixture
def signed(live_site):
    """Forty counted signatures over three weeks, in many fields and countries (one with a
    long name), a few verified; the count refreshed as the worker would."""
    start = timezone.now() - datetime.timedelta(days=21)
    for n in range(40):
        supporter = SupporterFactory(
            field_of_work=FIELDS[n % len(FIELDS)],
            country=COUNTRIES[(n * 7) % len(COUNTRIES)] if n % 3 else "FR",
            verified_at=timezone.now() if n % 5 == 0 else None,
        )
        SignatureFactory(
            campaign=live_site.campaign,
            supporter=supporter,
            status="confirmed",
            confirmed_at=start + datetime.timedelta(days=n // 2, hours=n % 5),
        )
    refresh_signature_counts()
    live_site.campaign.refresh_from_db()
    return live_site.campaign


@pytest.mark.parametrize("language", ["en", "fr"])
def test_stats_page(live_site, new_page, viewport, signed, language):
    page = new_page(viewport=viewport)
    page.goto(live_site.url("stats", language))

    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    charts = page.get_by_role("img")
    expect(charts).to_have_count(4)
    for name in ("#fields-table", "#countries-table", "#verified-table"):
        expect(page.locator(name)).to_be_visible()
    expect(page.locator("#countries-table tbody tr")).to_have_count(len(set(COUNTRIES)))
    assert_no_horizontal_scroll(page)
    assert_accessible(page)

    page.locator("#growth-table").locator("xpath=ancestor::details/summary").click()
    expect(page.locator("#growth-table")).to_be_visible()
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    save_screenshot(page, f"stats-{language}-{viewport['width']}")
    assert_clean(page)


def test_the_charts_are_named_for_screen_readers(live_site, desktop_page, signed):
    desktop_page.goto(live_site.url("stats", "en"))

    expect(desktop_page.get_by_role("img", name="Signatures over time")).to_be_visible()
    expect(desktop_page.get_by_role("img", name="Signatures by field of work")).to_be_visible()
    expect(desktop_page.get_by_role("img", name="Share of verified artists")).to_be_visible()


def test_the_countries_table_sorts_without_javascript(live_site, nojs_page, signed):
    nojs_page.goto(live_site.url("stats", "fr"))
    table = nojs_page.locator("#countries-table")
    expect(table.locator("tbody tr").first.locator("th")).to_have_text("France")

    table.get_by_role("link", name=re.compile("^Country|^Pays")).click()

    expect(nojs_page).to_have_url(re.compile(r"\?sort=name#countries-table$"))
    expect(table.locator("tbody tr").first.locator("th")).to_have_text("Allemagne")
    expect(table.locator("thead th").first).to_have_attribute("aria-sort", "ascending")
    # Without JavaScript the copy buttons stay hidden; the code can still be selected.
    expect(nojs_page.locator("button[data-copy]")).to_have_count(1)
    expect(nojs_page.locator("button[data-copy]")).to_be_hidden()
    expect(nojs_page.locator("#embed-code")).to_be_visible()
    assert_no_horizontal_scroll(nojs_page)
    assert_clean(nojs_page)


def test_the_copy_button_copies_the_embed_code(live_site, new_page, signed):
    page = new_page(viewport=PHONE)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(live_site.url("stats", "en"))

    page.get_by_role("button", name="Copy the code").click()

    expect(page.locator("#embed-code-status")).to_have_text("Code copied.")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith("<iframe src=")
    assert "/en/embed/stealing-isnt-innovation/" in copied
    assert 'title="Signature counter: Stealing Isn\'t Innovation"' in copied
    assert_clean(page)


def test_the_home_page_shows_the_growth_chart_and_the_share_block(
    live_site, new_page, viewport, signed
):
    stats.warm(campaign=signed)
    page = new_page(viewport=viewport)
    page.goto(live_site.url("home", "fr"))

    expect(page.get_by_role("img", name=re.compile("."))).to_have_count(1)
    expect(page.locator(".growth-card svg")).to_be_visible()
    expect(page.locator("#share-heading")).to_be_visible()
    expect(page.locator("button[data-copy='share-url']")).to_be_visible()
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    save_screenshot(page, f"home-chart-fr-{viewport['width']}")
    assert_clean(page)


# --- The counter in another site's iframe ----------------------------------------------------


class PartnerSite(ThreadingHTTPServer):
    """Another website, on another origin of this machine, whose page frames ``src``."""

    src = ""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            body = (
                "<!DOCTYPE html><html lang='en'><title>Partner</title><h1>A partner</h1>"
                f"<iframe src='{self.server.src}' title='Counter' width='100%' height='180' "
                "style='border:0'></iframe>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass


@pytest.fixture
def partner_page():
    """``partner_page(page, src)`` opens, in ``page``, a page of another site (a server on
    127.0.0.1, while the live server answers on localhost) that frames ``src``."""
    server = PartnerSite(("127.0.0.1", 0), PartnerSite.Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/"

    def open_partner(page, src: str) -> None:
        server.src = src
        # Let this one other origin through the harness's block on third-party requests.
        page.route(url, lambda route: route.continue_())
        page.goto(url)

    yield open_partner
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_another_site_can_embed_the_counter(live_site, new_page, partner_page, signed, language):
    page = new_page(viewport=PHONE)
    partner_page(page, live_site.url("embed", language, slug=signed.slug))

    frame = page.frame_locator("iframe")
    expect(frame.locator("[data-count]")).to_have_attribute("data-count", "40")
    sign = frame.locator("a.button")
    expect(sign).to_be_visible()
    expect(sign).to_have_attribute("target", "_blank")
    frame_box = page.locator("iframe").bounding_box()
    button_box = sign.bounding_box()
    assert button_box["y"] + button_box["height"] <= frame_box["y"] + frame_box["height"]
    embedded = next(f for f in page.frames if "/embed/" in f.url)
    assert embedded.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    save_screenshot(page, f"embed-{language}")


def test_another_site_cannot_frame_the_other_pages(live_site, new_page, partner_page, signed):
    page = new_page(viewport=PHONE)
    partner_page(page, live_site.url("home", "en"))

    page.wait_for_timeout(500)
    framed = next((f for f in page.frames if f != page.main_frame), None)
    # Chromium refuses the page (X-Frame-Options: DENY) and shows an empty error document.
    assert framed is not None
    assert framed.locator("[data-count]").count() == 0


def test_the_embed_page_on_its_own_is_accessible(live_site, phone_page, signed):
    phone_page.goto(live_site.url("embed", "fr", slug=signed.slug))
    expect(phone_page.locator("[data-count]")).to_be_visible()
    assert_accessible(phone_page)
    assert_no_horizontal_scroll(phone_page)
    assert_clean(phone_page)
