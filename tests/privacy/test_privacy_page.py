"""The privacy page states the retention periods the site applies, in both languages."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language,path", [("en", "/en/privacy/"), ("fr", "/fr/confidentialite/")])
def test_the_page_states_the_periods_from_settings(client, campaign, settings, language, path):
    settings.UNCONFIRMED_RETENTION_DAYS = 23
    settings.OUTBOX_BODY_RETENTION_DAYS = 77
    settings.PRIVACY_CONTACT_EMAIL = "privacy@coalition.example"
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}"' in html
    assert re.search(r"\b23\b", html) and re.search(r"\b77\b", html)
    assert 'href="mailto:privacy@coalition.example"' in html
    assert "/account/" in html


def test_the_defaults_are_thirty_and_ninety_days(client, campaign):
    html = client.get("/en/privacy/").content.decode()
    assert "still unconfirmed 30 days after you signed" in html
    assert "90 days after it was sent" in html


def test_the_french_page_is_in_french(client, campaign):
    html = client.get("/fr/confidentialite/").content.decode()
    assert "Vos droits" in html and "Qui peut les voir" in html
