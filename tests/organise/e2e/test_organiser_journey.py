"""An organiser's morning, in the system Chromium at phone width: log in with the emailed code
and an authenticator app (TOTP), open the verification queue, approve an artist's request, and
see the verified badge appear on the artist's public profile."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import expect

from campaign.models import AuditEvent, OutboundEmail
from signatures.models import Verification
from signatures.services.verification import request_review
from tests.e2e.browser import assert_clean, assert_no_horizontal_scroll
from tests.factories import SignatureFactory, SupporterFactory

from ..conftest import make_person

pytestmark = pytest.mark.browser


def totp_now(secret: str) -> str:
    import time

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def emailed_login_code(recipient: str) -> str:
    body = OutboundEmail.objects.filter(recipient=recipient).latest("id").text_body
    codes = re.findall(r"^\s*([A-Z0-9]{3,}(?:-[A-Z0-9]+)*)\s*$", body, flags=re.MULTILINE)
    assert codes, body
    return codes[0]


def test_an_organiser_logs_in_with_totp_and_approves_a_verification(live_site, phone_page):
    organiser = make_person("Organiser", email="ines@coalition.example")
    artist = SupporterFactory(full_name="Maya Lindqvist")
    SignatureFactory(campaign=live_site.campaign, supporter=artist, confirmed=True)
    request_review(
        supporter=artist,
        message="I am the illustrator of the Lantern books.",
        links=["https://maya-lindqvist.example/about"],
    )
    page = phone_page

    # The back office sends her to log in: the emailed code, then her authenticator app.
    page.goto(live_site.base_url + "/organise/")
    expect(page).to_have_url(re.compile(r"/accounts/login/code/"))
    page.locator("input[name=email]").fill(organiser.email)
    page.locator("form button[type=submit]").first.click()
    page.locator("input[name=code]").fill(emailed_login_code(organiser.email))
    page.locator("form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/2fa/authenticate/"))
    page.locator("input[name=code]").fill(totp_now(organiser.totp_secret))
    page.locator("form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/organise/$"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert_no_horizontal_scroll(page)

    # The verification queue: the request, its evidence, and the decision.
    page.get_by_role("link", name="Verification requests").first.click()
    expect(page.get_by_text("Maya Lindqvist").first).to_be_visible()
    assert_no_horizontal_scroll(page)
    page.get_by_role("link", name=re.compile("Maya Lindqvist")).first.click()
    expect(page.get_by_role("link", name=re.compile("maya-lindqvist.example"))).to_be_visible()
    page.get_by_label(re.compile("Reason", re.IGNORECASE)).first.fill(
        "Her publisher's page links back to her profile."
    )
    page.get_by_role("button", name=re.compile("^Approve")).first.click()
    expect(page.get_by_role("status")).to_contain_text("The artist is verified")
    assert_clean(page)

    verification = Verification.objects.get(supporter=artist)
    assert verification.status == Verification.Status.VERIFIED
    assert verification.decided_by == organiser
    assert AuditEvent.objects.filter(
        action="verification.approved", actor=organiser, supporter=artist
    ).exists()

    # The public profile now carries the badge.
    artist.refresh_from_db()
    page.goto(live_site.url("signatures:profile", slug=artist.slug))
    expect(page.get_by_text(re.compile("Verified", re.IGNORECASE)).first).to_be_visible()
