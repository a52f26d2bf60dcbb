"""The ledger page, in both languages: plain words, the key, the latest heads, the three
commands; a fixed number of queries; the verifier downloadable."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from ledger import services
from ledger.models import Kind, Reason
from ledger.selectors import public_key

NINE = dt.datetime(2026, 12, 5, 9, tzinfo=dt.UTC)


def page_url(language: str) -> str:
    with translation.override(language):
        return reverse("ledger:page")


def test_the_page_has_a_translated_address():
    assert page_url("en") == "/en/ledger/"
    assert page_url("fr") == "/fr/registre/"


@pytest.fixture
def published(launched_campaign):
    from tests.ledger.conftest import Signer

    for n in range(3):
        Signer(launched_campaign, n).record(Kind.COUNTED, Reason.SIGNED_HERE)
    services.publish_tree_head(campaign=launched_campaign, now=NINE)
    return launched_campaign


def test_the_page_explains_and_shows_the_latest_heads(client, published):
    html = client.get(page_url("en")).content.decode()
    assert "The public ledger of signatures" in html
    assert public_key().hex in html
    assert "2026-12-05T09:00:00Z" in html and "3 entries" in html
    assert "python3 verify_ledger.py" in html
    assert "What the ledger cannot prove" in html


def test_the_page_in_french(client, published):
    html = client.get(page_url("fr")).content.decode()
    assert "Le registre public des signatures" in html
    assert "3 entrées" in html


def test_the_page_before_any_entry(client, launched_campaign):
    html = client.get(page_url("en")).content.decode()
    assert "The log has no entries yet." in html
    assert "No tree head has been signed yet." in html


@pytest.mark.parametrize("more", [0, 30])
def test_the_page_costs_the_same_whatever_the_log(
    client, published, django_assert_max_num_queries, more
):
    from tests.ledger.conftest import Signer

    for n in range(more):
        Signer(published, 100 + n).record(Kind.COUNTED, Reason.SIGNED_HERE)
        services.publish_tree_head(campaign=published, now=NINE + dt.timedelta(hours=n + 1))
    with django_assert_max_num_queries(4):
        assert client.get(page_url("en")).status_code == 200


def test_the_verifier_can_be_downloaded(client, launched_campaign):
    response = client.get(reverse("ledger:verifier"))
    assert response.status_code == 200
    assert b"def verify_site(" in response.content
    assert "attachment" in response["Content-Disposition"]


def test_without_a_key_public_reads_still_work(client, published, settings):
    """The key is needed to sign new heads, never to read: no 500 when it is missing."""
    settings.LEDGER_SIGNING_KEY = ""
    settings.DEBUG = False
    html = client.get(page_url("en")).content.decode()
    assert "signing key is not configured yet" in html
    index = client.get(reverse("api:ledger_index"))
    assert index.status_code == 200 and index.json()["public_key"] is None
    log = client.get(reverse("api:ledger_log", kwargs={"slug": published.slug}))
    assert log.status_code == 200
