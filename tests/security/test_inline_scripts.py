"""No public page carries inline script or style, so the Content-Security-Policy needs no
'unsafe-inline': every ``<script>`` loads a file (``src``, no body), there is no ``<style>``
element, no ``style`` attribute and no ``on…`` event handler."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from .conftest import page_parts

pytestmark = pytest.mark.django_db

PAGES = [
    "campaign:home",
    "campaign:why",
    "campaign:about",
    "campaign:privacy",
    "campaign:stats",
    "signatures:sign",
    "signatures:check_email",
    "signatures:directory",
]


def path(name: str, language: str, **kwargs) -> str:
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


def assert_no_inline_code(html: str, where: str) -> int:
    """Fail on any inline script or style in ``html``; return how many script files it loads."""
    parts = page_parts(html)
    inline_scripts = [s for s in parts.scripts if not s.attrs.get("src") or s.body.strip()]
    assert inline_scripts == [], f"{where}: inline <script>: {inline_scripts}"
    assert parts.styles == [], f"{where}: <style> elements"
    assert parts.inline == [], f"{where}: inline style or event handlers: {parts.inline}"
    return len(parts.scripts)


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("name", PAGES)
def test_public_pages_have_no_inline_script_or_style(client, launched_campaign, name, language):
    response = client.get(path(name, language))

    assert response.status_code == 200
    assert_no_inline_code(response.content.decode(), f"{name} ({language})")


def test_the_signers_pages_have_no_inline_script_or_style(client, sign_and_confirm):
    signed = sign_and_confirm()
    assert_no_inline_code(client.get(signed.sign["Location"]).content.decode(), "check email")

    # The thanks page loads the copy script and the ledger receipt's check, as files.
    assert assert_no_inline_code(signed.thanks.content.decode(), "thanks") == 2
    profile = client.get(signed.profile_path)
    assert profile.status_code == 200
    assert_no_inline_code(profile.content.decode(), "profile")


def test_the_embed_and_the_api_docs_have_no_inline_script_or_style(client, launched_campaign):
    embed = client.get(path("campaign:embed", "en", slug=launched_campaign.slug))
    assert embed.status_code == 200
    assert_no_inline_code(embed.content.decode(), "embed")
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert_no_inline_code(docs.content.decode(), "API docs")


def test_error_pages_have_no_inline_script_or_style(launched_campaign):
    client = Client(raise_request_exception=False)
    for url, status in [("/en/no-such-page/", 404), ("/en/?q=%00", 400)]:
        response = client.get(url)
        assert response.status_code == status
        assert_no_inline_code(response.content.decode(), f"{status} page")


def test_the_csrf_failure_page_has_no_inline_style(launched_campaign):
    """Django's own CSRF failure page carries a ``<style>`` block the policy would refuse."""
    client = Client(enforce_csrf_checks=True)
    response = client.post("/en/accounts/login/code/", {"email": "someone@example.org"})

    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    assert_no_inline_code(response.content.decode(), "CSRF failure")
