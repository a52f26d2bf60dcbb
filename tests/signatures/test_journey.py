"""The artist's whole journey on the site, as issue 4 describes it: sign, confirm, log in with a
code, fill the profile, prove it with a link back, and appear in the directory with a badge."""

from __future__ import annotations

import re

import pytest

from campaign.models import OutboundEmail
from signatures import services
from signatures.models import Supporter
from tests.factories import CampaignFactory

from .test_verification import PageServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(settings):
    settings.LINKCHECK_ALLOW_HTTP = True
    settings.LINKCHECK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    server = PageServer()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def test_sign_log_in_with_a_code_fill_the_profile_and_earn_the_badge(
    client, pages, django_capture_on_commit_callbacks
):
    CampaignFactory()
    run = django_capture_on_commit_callbacks

    with run(execute=True):
        client.post(
            "/en/sign/",
            {
                "full_name": "Octavia Writer",
                "email": "octavia@example.org",
                "field_of_work": "writer",
                "country": "US",
                "name_display": "full",
                "agree": "on",
            },
        )
    confirm = re.search(r"/en/sign/confirm/\S+/", OutboundEmail.objects.get().text_body).group(0)
    with run(execute=True):
        client.get(confirm)

    with run(execute=True):
        asked = client.post("/en/accounts/login/code/", {"email": "octavia@example.org"})
    assert asked.status_code == 302
    code_email = OutboundEmail.objects.get(kind="account_login_code")
    assert "Stealing Isn't Innovation" in code_email.text_body
    code = re.search(r"^\s*([A-Z0-9-]{6,})\s*$", code_email.text_body, re.MULTILINE).group(1)
    logged_in = client.post(asked["Location"], {"code": code})
    assert logged_in.status_code == 302
    assert "My profile" in client.get("/en/account/").content.decode()

    client.post(
        "/en/account/",
        {
            "full_name": "Octavia Writer",
            "name_display": "full",
            "field_of_work": "writer",
            "other_fields": ["screenwriter"],
            "country": "US",
            "known_for": "Parables",
            "bio": "Novelist.",
            "comment": "Our books are not free training data.",
            "link_1": "https://octavia.example/",
            "wikidata_id": "Q237876",
        },
    )
    supporter = Supporter.objects.get()
    url = pages.page(
        "/", f'<a rel="me" href="{services.profile_permalink(supporter)}">My appeal profile</a>'
    )
    with run(execute=True):
        client.post("/en/account/verify/link/", {"page_url": url})

    directory = client.get("/en/supporters/?verified=on").content.decode()
    assert "Octavia Writer" in directory
    assert "Verified artist" in directory
    profile = client.get(f"/en/supporters/{Supporter.objects.get().slug}/").content.decode()
    assert "Our books are not free training data." in profile
    assert "Screenwriter" in profile
