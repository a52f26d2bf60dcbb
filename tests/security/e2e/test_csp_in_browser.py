"""The real Content-Security-Policy in Chromium: the pages work and the browser reports no
violation (a refused script, style or image is a console error, and a
``securitypolicyviolation`` event, both recorded)."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import expect

from campaign.models import OutboundEmail
from tests.e2e.browser import assert_clean
from tests.organise.conftest import make_person

pytestmark = pytest.mark.browser

# Runs before any script of the page, outside its policy: records every violation it reports.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def violations(page) -> list[str]:
    return page.evaluate("() => window.__cspViolations")


def test_the_home_page_runs_under_the_policy_without_a_violation(live_site, desktop_page):
    page = desktop_page
    page.add_init_script(RECORD_VIOLATIONS)

    response = page.goto(live_site.url("home"))

    assert "script-src 'self'" in response.headers["content-security-policy"]
    # share.js ran: it reveals the copy buttons it wires up.
    expect(page.locator("button[data-copy]").first).to_be_visible()
    assert violations(page) == []
    assert_clean(page)

    # And the policy bites (so that the empty list above means something): an injected inline
    # script is refused and reported.
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__injected = true";
          document.body.append(script);
        }"""
    )
    assert page.evaluate("() => window.__injected") is None
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert violations(page)[0].startswith("script-src")


def emailed_code(recipient: str) -> str:
    body = OutboundEmail.objects.filter(recipient=recipient).latest("id").text_body
    return re.findall(r"^\s*([A-Z0-9]{3,}(?:-[A-Z0-9]+)*)\s*$", body, flags=re.MULTILINE)[0]


def totp_now(secret: str) -> str:
    import time

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_setting_up_the_authenticator_app_works_under_the_policy(live_site, phone_page):
    """django-allauth's TOTP pages, where a new organiser lands: activation (its QR code is a
    data: image), the recovery codes, and the code asked for at the back office's door."""
    # A superuser: the role groups come from a data migration, which live-server tests flush.
    organiser = make_person(superuser=True, totp=False, email="tess@coalition.example")
    page = phone_page
    page.add_init_script(RECORD_VIOLATIONS)

    page.goto(live_site.base_url + "/organise/")
    page.locator("input[name=email]").fill(organiser.email)
    page.locator("form button[type=submit]").first.click()
    page.locator("input[name=code]").fill(emailed_code(organiser.email))
    page.locator("form button[type=submit]").first.click()
    # Setting up a second factor asks for a fresh code first.
    expect(page).to_have_url(re.compile(r"/reauthenticate/"))
    page.get_by_role("button", name="Request Code").click()
    page.locator("input[name=code]").fill(emailed_code(organiser.email))
    page.locator("form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/2fa/totp/activate/"))

    qr_code = page.locator("img[src^='data:']").first
    expect(qr_code).to_be_visible()
    assert qr_code.evaluate("(image) => image.complete && image.naturalWidth > 0")
    assert violations(page) == []

    secret = page.locator("#authenticator_secret").input_value()
    page.locator("input[name=code]").fill(totp_now(secret))
    page.locator("form button[type=submit]").first.click()
    # Then the recovery codes, shown once; the back office then asks for the app's code.
    expect(page).to_have_url(re.compile(r"/2fa/recovery-codes/"))
    expect(page.locator("#recovery_codes")).to_be_visible()
    assert violations(page) == []
    page.goto(live_site.base_url + "/organise/")
    expect(page).to_have_url(re.compile(r"/2fa/reauthenticate/"))
    expect(page.locator("input[name=code]")).to_be_visible()
    assert violations(page) == []
    assert_clean(page)
