"""Security headers on public pages, the back office, the admin and the embeddable counter;
production's cookie and transport settings; ``check --deploy`` clean."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from tests.organise.conftest import log_in, make_person

from .conftest import page_parts

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
POLICY = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'none'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"


def policy(response) -> dict[str, set[str]]:
    """The Content-Security-Policy header as {directive: sources}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


def assert_secure_headers(response, *, frame_ancestors: set[str] | None = None) -> None:
    expected = dict(POLICY)
    if frame_ancestors is not None:
        expected["frame-ancestors"] = frame_ancestors
    assert policy(response) == expected
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["Permissions-Policy"] == PERMISSIONS
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def path(name: str, language: str = "en", **kwargs) -> str:
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


@pytest.mark.parametrize(
    "name",
    ["campaign:home", "campaign:stats", "signatures:sign", "signatures:directory"],
)
def test_public_pages_send_the_policy_and_refuse_frames(client, launched_campaign, name):
    response = client.get(path(name))

    assert response.status_code == 200
    assert_secure_headers(response)
    assert response["X-Frame-Options"] == "DENY"


def test_the_embed_may_be_framed_by_any_site_under_the_same_policy(client, launched_campaign):
    response = client.get(path("campaign:embed", slug=launched_campaign.slug))

    assert response.status_code == 200
    assert_secure_headers(response, frame_ancestors={"*"})
    assert "X-Frame-Options" not in response


def test_the_api_sends_the_headers_too(client, launched_campaign):
    response = client.get("/api/v1/count")

    assert response.status_code == 200
    assert_secure_headers(response)


def test_the_back_office_sends_the_policy_and_refuses_frames(client, launched_campaign):
    log_in(client, make_person("Organiser"))
    response = client.get("/organise/")

    assert response.status_code == 200
    assert_secure_headers(response)
    assert response["X-Frame-Options"] == "DENY"
    assert [s for s in page_parts(response.content.decode()).scripts if s.body.strip()] == []


@pytest.mark.parametrize(
    "url",
    ["/admin/", "/admin/campaign/campaign/", "/admin/campaign/campaign/{pk}/change/"],
)
def test_the_admin_works_without_inline_script(client, launched_campaign, url):
    """Django's admin loads its scripts from files and passes data in ``data-`` attributes,
    so it needs no exception to the policy."""
    log_in(client, make_person(superuser=True))
    response = client.get(url.format(pk=launched_campaign.pk))

    assert response.status_code == 200
    assert_secure_headers(response)
    parts = page_parts(response.content.decode())
    assert parts.scripts, "the admin page loads no script at all?"
    assert [s.attrs.get("src") for s in parts.scripts if s.body.strip()] == []
    assert all(s.attrs.get("src") for s in parts.scripts)
    assert parts.styles == []
    assert parts.inline == []


def test_refusals_carry_the_headers(client):
    response = client.get("/en/?q=%00")

    assert response.status_code == 400
    assert_secure_headers(response)


# --- Production settings ---------------------------------------------------------------------


def production_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        LEDGER_SIGNING_KEY="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        ALLOWED_HOSTS="example.org",
        SITE_URL="https://example.org",
        DJANGO_SETTINGS_MODULE="campaign.settings",
        **extra,
    )
    return env


def test_check_deploy_finds_nothing_to_fix():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


PRODUCTION_VALUES = {
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "CSRF_COOKIE_SECURE": True,
    "CSRF_COOKIE_SAMESITE": "Lax",
    "LANGUAGE_COOKIE_SECURE": True,
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31_536_000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "SECURE_CONTENT_TYPE_NOSNIFF": True,
    "X_FRAME_OPTIONS": "DENY",
}


def test_production_cookies_are_secure_and_same_site_and_transport_is_strict():
    script = (
        "import json, sys, django; django.setup(); from django.conf import settings; "
        "print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *PRODUCTION_VALUES],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == PRODUCTION_VALUES
