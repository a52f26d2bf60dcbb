"""The receipt's check in Chromium at 360 px: it passes for an honest ledger, fails when the
entry was changed in the database, and without JavaScript explains how to check by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from ledger import services
from ledger.models import Entry, Kind, Reason
from tests.e2e.browser import assert_accessible, assert_clean, assert_no_horizontal_scroll

from .conftest import Signer

pytestmark = pytest.mark.browser


@pytest.fixture
def receipt_url(live_site):  # noqa: F811
    campaign = live_site.campaign
    others = [Signer(campaign, n) for n in range(2, 7)]
    me = Signer(campaign, 1)
    for signer in [others[0], others[1], me, *others[2:]]:
        signer.record(Kind.COUNTED, Reason.SIGNED_HERE)
    services.publish_tree_head(campaign=campaign, now=dt.datetime(2026, 12, 5, 9, tzinfo=dt.UTC))
    return f"{live_site.base_url}/test-receipt/?salt={me.salt.hex()}&ref={me.ref}", me


@pytest.mark.urls("tests.ledger.urls")
def test_the_receipt_checks_in_the_browser(phone_page, receipt_url):  # noqa: F811
    url, me = receipt_url
    phone_page.goto(url)
    status = phone_page.locator("[data-receipt-status]")
    expect(status).to_have_attribute("data-result", "ok")
    expect(status).to_contain_text("entry 2 (counted) is in the tree of 6 entries")
    assert_no_horizontal_scroll(phone_page)
    assert_accessible(phone_page, context=".receipt")
    assert_clean(phone_page)
    # Changed behind the signer's back: the same page now says the check failed.
    Entry.objects.filter(commitment=me.commitment).update(reason=Reason.IMPORTED)
    phone_page.get_by_role("button", name="Check again").click()
    expect(status).to_have_attribute("data-result", "failed")


@pytest.mark.urls("tests.ledger.urls")
def test_without_javascript_the_receipt_explains_the_check_by_hand(nojs_page, receipt_url):  # noqa: F811
    url, me = receipt_url
    nojs_page.goto(url)
    status = nojs_page.locator("[data-receipt-status]")
    expect(status).to_contain_text("python3 verify_ledger.py")
    expect(status).to_contain_text(f"--receipt {me.commitment}")
    expect(nojs_page.get_by_role("button", name="Check again")).to_have_count(0)
    assert_no_horizontal_scroll(nojs_page)


def test_the_account_page_checks_the_signers_receipt(live_site, phone_page, client):  # noqa: F811
    """The real flow: sign, confirm, a signed tree head; the signer's account page checks the
    receipt in Chromium at 360 px."""
    from signatures import services as signing
    from signatures import tokens
    from signatures.models import Signature
    from signatures.services.signing import SignatureDetails

    campaign = live_site.campaign
    details = SignatureDetails(
        full_name="Ada Lovelace",
        email="ada@example.org",
        field_of_work="writer",
        country="GB",
        name_display="full",
    )
    signature = signing.sign(campaign=campaign, details=details, language="en")
    signing.confirm_signature(token=tokens.make_confirm_token(signature))
    services.publish_tree_head(campaign=campaign, now=dt.datetime(2026, 12, 5, 9, tzinfo=dt.UTC))
    signature = Signature.objects.select_related("supporter__user").get(pk=signature.pk)
    client.force_login(signature.supporter.user)
    phone_page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_site.base_url,
            }
        ]
    )
    phone_page.goto(f"{live_site.base_url}/en/account/")
    status = phone_page.locator("[data-receipt-status]")
    expect(status).to_have_attribute("data-result", "ok")
    expect(status).to_contain_text("entry 0 (counted) is in the tree of 1 entries")
    assert_no_horizontal_scroll(phone_page)
    assert_clean(phone_page)
