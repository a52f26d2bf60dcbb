"""The campaign's public pages, in both languages, as a visitor sees them."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from campaign.models import Campaign
from tests.factories import (
    CampaignFactory,
    DemandFactory,
    KeyMessageFactory,
    LaunchSupporterFactory,
    SolutionFactory,
    StakeFactory,
)

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "fr"]


def url(name: str, language: str) -> str:
    with translation.override(language):
        return reverse(name)


@pytest.mark.parametrize(
    ("language", "title", "appeal_heading", "sign_call"),
    [
        ("en", "Stealing Isn&#x27;t Innovation", "The appeal", "Sign the appeal"),
        ("fr", "Voler n&#x27;est pas innover", "L’appel", "Signer l’appel"),
    ],
)
def test_home_shows_the_launched_campaign_in_each_language(
    client, launched_campaign, language, title, appeal_heading, sign_call
):
    response = client.get(url("campaign:home", language))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}">' in html
    assert title in html
    assert appeal_heading in html
    assert sign_call in html
    for message in launched_campaign.key_messages.all():
        assert getattr(message, f"title_{language}").replace("'", "&#x27;") in html
    for demand in launched_campaign.demands.all():
        assert getattr(demand, f"title_{language}").replace("'", "&#x27;") in html
    assert "Scarlett Johansson" in html
    assert "Vince Gilligan" in html


def test_home_shows_the_confirmed_count_and_progress_toward_the_goal(client):
    CampaignFactory(signature_count=2500, goal=10000)

    html = client.get(url("campaign:home", "en")).content.decode()

    assert 'data-count="2500"' in html
    assert "2,500" in html
    assert '<progress class="counter__bar" max="10000" value="2500"' in html
    assert "25% of our goal of 10,000 signatures" in html


def test_french_count_uses_french_number_formatting(client):
    CampaignFactory(signature_count=2500, goal=10000)

    html = client.get(url("campaign:home", "fr")).content.decode()

    assert 'data-count="2500"' in html
    assert any(f"2{space}500" in html for space in ("\u00a0", "\u202f", "&nbsp;", " "))
    assert "2,500" not in html


def test_home_issues_a_fixed_number_of_queries(client, django_assert_num_queries):
    campaign = CampaignFactory()
    KeyMessageFactory.create_batch(5, campaign=campaign)
    DemandFactory.create_batch(5, campaign=campaign)
    LaunchSupporterFactory.create_batch(20, campaign=campaign)

    # The campaign, one query each for key messages, demands and launch supporters, then
    # the featured and the latest signatories. The growth chart costs none: it only reads
    # figures already in the cache (signatures.stats), whether or not they are there.
    with django_assert_num_queries(6):
        response = client.get(url("campaign:home", "en"))
    assert response.status_code == 200


def test_home_does_not_count_signatures_on_request(client, django_assert_num_queries):
    CampaignFactory(signature_count=7)
    with django_assert_num_queries(6) as captured:
        client.get(url("campaign:home", "en"))
    assert not any("COUNT(" in query["sql"].upper() for query in captured.captured_queries)


@pytest.mark.parametrize("language", LANGUAGES)
def test_why_it_matters_lists_stakes_and_solutions(client, language):
    campaign = CampaignFactory()
    stake = StakeFactory(campaign=campaign)
    solution = SolutionFactory(campaign=campaign)

    response = client.get(url("campaign:why", language))

    html = response.content.decode()
    assert response.status_code == 200
    assert getattr(stake, f"title_{language}") in html
    assert getattr(solution, f"title_{language}") in html
    assert getattr(campaign, f"why_it_matters_{language}") in html


@pytest.mark.parametrize(
    ("language", "heading"), [("en", "About the coalition"), ("fr", "À propos de la coalition")]
)
def test_about_page(client, language, heading):
    campaign = CampaignFactory()
    html = client.get(url("campaign:about", language)).content.decode()
    assert heading in html
    assert getattr(campaign, f"about_{language}") in html


@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "Who can see it"), ("fr", "Qui peut les voir")],
)
def test_privacy_page(client, language, heading):
    CampaignFactory()
    response = client.get(url("campaign:privacy", language))
    assert response.status_code == 200
    assert heading in response.content.decode()


def test_urls_are_translated():
    assert url("campaign:why", "en") == "/en/why-it-matters/"
    assert url("campaign:why", "fr") == "/fr/pourquoi-c-est-important/"
    assert url("campaign:about", "fr") == "/fr/a-propos/"
    assert url("campaign:privacy", "fr") == "/fr/confidentialite/"


@pytest.mark.parametrize(("accept", "target"), [("fr-FR,fr;q=0.9", "/fr/"), ("en-GB", "/en/")])
def test_root_redirects_by_browser_language(client, accept, target):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 302
    assert response["Location"] == target


def test_language_switcher_links_to_the_same_page_in_the_other_language(client):
    CampaignFactory()
    html = client.get(url("campaign:why", "en")).content.decode()
    assert 'href="/fr/pourquoi-c-est-important/" hreflang="fr"' in html

    html = client.get(url("campaign:why", "fr")).content.decode()
    assert 'href="/en/why-it-matters/" hreflang="en"' in html


def test_pages_declare_alternates_and_social_cards(client, settings):
    settings.SITE_URL = "https://appeal.example"
    CampaignFactory()

    html = client.get(url("campaign:about", "fr")).content.decode()

    assert '<link rel="canonical" href="https://appeal.example/fr/a-propos/">' in html
    assert 'hreflang="en" href="https://appeal.example/en/about/"' in html
    assert 'hreflang="fr" href="https://appeal.example/fr/a-propos/"' in html
    assert 'hreflang="x-default" href="https://appeal.example/"' in html
    assert '<meta property="og:locale" content="fr_FR">' in html
    assert '<meta property="og:title" content="À propos de la coalition · Appel de test">' in html
    assert (
        '<meta property="og:image" content="https://appeal.example/fr/share-image.png?n=0">' in html
    )
    assert '<meta name="twitter:card" content="summary_large_image">' in html


def test_a_draft_campaign_is_not_public(client):
    CampaignFactory(status=Campaign.Status.DRAFT)
    assert client.get(url("campaign:home", "en")).status_code == 404


@pytest.mark.parametrize(
    ("language", "text"), [("en", "Page not found"), ("fr", "Page introuvable")]
)
def test_not_found_page_is_translated(client, language, text):
    CampaignFactory()
    response = client.get(f"/{language}/no-such-page/")
    assert response.status_code == 404
    assert text in response.content.decode()


@pytest.mark.parametrize(
    ("language", "text"), [("en", "Something went wrong"), ("fr", "Une erreur est survenue")]
)
def test_server_error_page_is_translated(client, settings, language, text):
    from django.urls import path

    def broken(request):
        raise RuntimeError("boom")

    settings.ROOT_URLCONF = type("Urls", (), {"urlpatterns": [path(f"{language}/broken/", broken)]})
    client.raise_request_exception = False
    response = client.get(f"/{language}/broken/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 500
    assert text in response.content.decode()
    assert "boom" not in response.content.decode()
