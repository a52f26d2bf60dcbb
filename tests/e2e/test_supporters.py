"""Signing, the directory, a profile and the account page in a real browser: axe, phone
width, no JavaScript needed."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaign.models import OutboundEmail
from signatures.models import Signature
from signatures.services import ensure_account
from tests.e2e.browser import PHONE, assert_accessible, assert_clean, assert_no_horizontal_scroll
from tests.factories import SignatureFactory, SupporterFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def listed(live_site):
    """A few confirmed signatories, one verified with identifiers."""
    for n, field in enumerate(["writer", "actor", "musician"]):
        supporter = SupporterFactory(
            full_name=f"Listed Artist{n}",
            field_of_work=field,
            country="FR",
            known_for="Known for something",
        )
        SignatureFactory(campaign=live_site.campaign, supporter=supporter, confirmed=True)
    star = SupporterFactory(
        full_name="Agnès Vérifiée",
        field_of_work="director",
        country="BE",
        verified_at=timezone.now(),
        verification_method="review",
        wikidata_id="Q229990",
        isni="0000000121032683",
        bio="Director.",
        links=["https://agnes.example/"],
    )
    SignatureFactory(campaign=live_site.campaign, supporter=star, confirmed=True)
    return star


@pytest.mark.parametrize("language", ["en", "fr"])
def test_directory_and_profile(live_site, new_page, viewport, listed, language):
    page = new_page(viewport=viewport)
    page.goto(live_site.url("signatures:directory", language))
    expect(page.locator(".supporter-card")).to_have_count(4)
    assert_no_horizontal_scroll(page)
    assert_accessible(page)

    page.get_by_role("link", name="Agnès Vérifiée").click()
    expect(page.get_by_role("heading", level=1, name="Agnès Vérifiée")).to_be_visible()
    expect(page.locator(".badge--verified").first).to_be_visible()
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    assert_clean(page)


def test_filtering_the_directory_without_javascript(live_site, nojs_page, listed):
    nojs_page.goto(live_site.url("signatures:directory", "en"))
    nojs_page.get_by_label("Field of work").select_option("actor")
    nojs_page.get_by_role("button", name="Show").click()
    expect(nojs_page.locator(".supporter-card")).to_have_count(1)
    expect(nojs_page.locator(".supporter-card__name")).to_have_text("Listed Artist1")
    assert_clean(nojs_page)


def test_signing_with_a_mistake_then_confirming_without_javascript(live_site, nojs_page):
    page = nojs_page
    page.goto(live_site.url("signatures:sign", "fr"))
    page.get_by_label("Nom complet", exact=True).fill("Camille Claudel")
    page.locator("#id_email").fill("camille@example")
    page.locator("#id_field_of_work").select_option("visual-artist")
    page.locator("#id_country").select_option("FR")
    page.locator("#id_agree").check()
    page.locator("form.sign-form button[type=submit]").click()

    expect(page.locator("#id_email_error")).to_be_visible()
    expect(page.get_by_label("Nom complet", exact=True)).to_have_value("Camille Claudel")
    expect(page.locator("#id_agree")).to_be_checked()

    page.locator("#id_email").fill("camille@example.org")
    page.locator("form.sign-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/fr/sign/check-your-email/$"))
    page.wait_for_load_state("load")

    body = OutboundEmail.objects.get().text_body
    link = re.search(r"https?://\S+/fr/sign/confirm/\S+/", body).group(0)
    page.goto(link.replace(link.split("/fr/")[0], live_site.base_url))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Merci")
    assert Signature.objects.get().status == Signature.Status.CONFIRMED
    assert_clean(page)


def test_account_page_is_accessible_on_a_phone(live_site, new_page, listed, client):
    ensure_account(supporter=listed)
    page = new_page(viewport=PHONE)
    client.force_login(listed.user)
    session = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_site.base_url}])
    page.goto(live_site.url("signatures:account", "en"))
    expect(page.get_by_role("heading", level=1, name="My profile")).to_be_visible()
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    assert_clean(page)
