"""The tracker in Chromium at 360 px and 1280 px, in both languages: axe finds no serious
violation, nothing scrolls sideways, the CSP holds (no console error), and sorting works
without JavaScript."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.e2e.browser import (
    assert_accessible,
    assert_clean,
    assert_no_horizontal_scroll,
    save_screenshot,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def samples(live_site):
    call_command("load_tracker_samples")
    return live_site


@pytest.mark.parametrize("language", ["en", "fr"])
def test_tracker_pages(samples, new_page, viewport, language):
    page = new_page(viewport=viewport)
    for name, kwargs in [
        ("tracker:overview", {}),
        ("tracker:company", {"slug": "sample-northwind-models"}),
        ("tracker:deals", {}),
    ]:
        page.goto(samples.url(name, language, **kwargs))
        assert_accessible(page)
        assert_no_horizontal_scroll(page)
        save_screenshot(page, f"tracker-{name.split(':')[1]}-{language}-{viewport['width']}")
    assert_clean(page)


def test_sorting_without_javascript(samples, nojs_page):
    nojs_page.goto(samples.url("tracker:overview"))
    nojs_page.get_by_role("link", name="Honour artists' refusal").click()
    assert "sort=opt-out" in nojs_page.url
    first = nojs_page.locator("tbody tr th").first.inner_text()
    assert first.startswith("Northwind Models")  # partial beats broken and not assessed


def test_the_back_office_preview_and_forms(samples, new_page, viewport, settings):
    """An organiser (session cookie set as after the emailed code and TOTP) reads a draft's
    preview in both languages and opens the forms: axe-clean, no sideways scrolling."""
    from django.test import Client

    from tests.backoffice import log_in, make_person
    from tracker import services
    from tracker.models import Company, Criterion

    company = Company.objects.get(slug="sample-lumen-records")
    draft = services.draft_revision(
        company=company,
        criterion=Criterion.objects.get(code="licensing"),
        status="partial",
        summary_en="A long summary " * 20,
        summary_fr="",
        happened_on=company.created_at.date(),
        sources=[],
        actor=None,
    )
    client = log_in(Client(), make_person("Organiser"))
    page = new_page(viewport=viewport)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": samples.base_url,
            }
        ]
    )
    for path in (
        "/organise/tracker/",
        f"/organise/tracker/drafts/{draft.pk}/",
        f"/organise/tracker/companies/{company.pk}/draft/",
        "/organise/tracker/deals/new/",
    ):
        page.goto(samples.base_url + path)
        assert "/organise/tracker/" in page.url, page.url
        assert_accessible(page)
        assert_no_horizontal_scroll(page)
    assert_clean(page)
