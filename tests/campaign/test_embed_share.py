"""Sharing: the Open Graph picture, the share block and its copy button, and the counter other
sites embed (the only page allowed in a frame)."""

from __future__ import annotations

import io
import re

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from PIL import Image

from campaign.models import Campaign
from pages import share_image
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def url(name: str, language: str, **kwargs) -> str:
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


@pytest.fixture
def campaign():
    return CampaignFactory(signature_count=1234, goal=10_000)


@pytest.fixture
def drawings(monkeypatch):
    """Every call to the renderer, with its arguments (the picture is still drawn)."""
    calls = []
    render = share_image.render_png

    def spy(**texts):
        calls.append(texts)
        return render(**texts)

    monkeypatch.setattr(share_image, "render_png", spy)
    return calls


# --- The Open Graph picture ----------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_share_image_is_a_1200_by_630_png(client, campaign, language):
    response = client.get(url("campaign:share_image", language))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    assert image.size == (1200, 630)


def test_the_share_image_shows_the_title_and_count_in_the_language(client, campaign, drawings):
    client.get(url("campaign:share_image", "fr"))
    client.get(url("campaign:share_image", "en"))

    french, english = drawings
    assert french["title"] == "Appel de test"
    assert french["count"] == "1\xa0234"
    assert english["title"] == "Test appeal"
    assert english["count"] == "1,234"
    assert english["count_label"] == "artists have signed"
    assert english["goal_text"] == "12% of our goal of 10,000 signatures"
    assert english["share"] == pytest.approx(0.1234)


def test_the_share_image_is_drawn_once_per_count(client, campaign, drawings):
    first = client.get(url("campaign:share_image", "en")).content
    second = client.get(url("campaign:share_image", "en")).content

    assert len(drawings) == 1
    assert first == second

    Campaign.objects.filter(pk=campaign.pk).update(signature_count=1235)
    client.get(url("campaign:share_image", "en"))
    assert len(drawings) == 2
    assert drawings[1]["count"] == "1,235"


def test_the_share_image_may_be_cached_for_the_count_interval(client, campaign, settings):
    settings.COUNT_REFRESH_SECONDS = 7
    response = client.get(url("campaign:share_image", "en"))
    assert "max-age=7" in response["Cache-Control"]
    assert "public" in response["Cache-Control"]


def test_the_share_image_is_drawn_without_the_dejavu_fonts(monkeypatch, tmp_path):
    monkeypatch.setattr(share_image, "FONT_DIR", tmp_path)
    share_image.font.cache_clear()
    try:
        png = share_image.render_png(
            title="Voler n’est pas innover",
            count="1\xa0234",
            count_label="artistes ont signé",
            goal_text="12 % de notre objectif",
            share=0.12,
        )
    finally:
        share_image.font.cache_clear()
    assert Image.open(io.BytesIO(png)).size == (1200, 630)


def test_pages_point_social_cards_at_the_live_picture(client, campaign, settings):
    settings.SITE_URL = "https://appeal.example"
    html = client.get(url("campaign:home", "fr")).content.decode()

    picture = "https://appeal.example/fr/share-image.png?n=1234"
    assert f'<meta property="og:image" content="{picture}">' in html
    assert f'<meta name="twitter:image" content="{picture}">' in html


def test_a_page_without_a_campaign_falls_back_to_the_static_card(settings):
    settings.SITE_URL = "https://appeal.example"
    request = RequestFactory().get("/en/somewhere/")
    with translation.override("en"):
        html = render_to_string("base.html", {}, request=request)

    assert 'content="https://appeal.example/static/img/og-card.png"' in html


# --- The share block -----------------------------------------------------------------------


def test_the_home_page_invites_visitors_to_share(client, campaign, settings):
    settings.SITE_URL = "https://appeal.example"
    html = client.get(url("campaign:home", "en")).content.decode()

    assert 'id="share-heading"' in html
    assert "https://bsky.app/intent/compose?text=Artists%20ask%20AI%20companies" in html
    assert html.index('id="cta-heading"') < html.index('id="share-heading"')
    assert '<input id="share-url" type="text" readonly value="https://appeal.example/en/">' in html


def test_the_copy_button_waits_for_its_script(client, campaign):
    html = client.get(url("campaign:home", "en")).content.decode()

    button = re.search(r'<button [^>]*data-copy="share-url"[^>]*>', html).group(0)
    assert " hidden" in button  # shown by the script only, so it never does nothing
    assert 'data-copied="Link copied."' in button
    assert '<span class="copy-status" id="share-url-status" role="status"></span>' in html
    assert '<script src="/static/js/share.js" defer></script>' in html
    assert "<script>" not in html  # no inline script


def test_the_thanks_page_loads_the_copy_script(client):
    html = render_to_string(
        "signatures/thanks.html",
        {"campaign": CampaignFactory(), "signature": None, "newly_confirmed": True},
        request=RequestFactory().get("/en/"),
    )
    assert 'data-copy="share-url"' in html
    assert '<script src="/static/js/share.js" defer></script>' in html
    assert "text=I%20signed%20" in html  # the signer's own words, not the home page's


# --- The embeddable counter ----------------------------------------------------------------


def embed_url(language: str = "en", slug: str = "stealing-isnt-innovation") -> str:
    return url("campaign:embed", language, slug=slug)


def test_the_embed_page_may_be_framed_by_any_site(client, campaign):
    response = client.get(embed_url())

    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors *" in response["Content-Security-Policy"]


@pytest.mark.parametrize("name", ["campaign:home", "campaign:stats", "campaign:about"])
def test_every_other_page_refuses_frames(client, campaign, name):
    response = client.get(url(name, "en"))

    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_the_embed_page_shows_the_count_and_a_link_to_sign(client, campaign):
    html = client.get(embed_url("fr")).content.decode()

    assert '<html lang="fr">' in html
    assert "Appel de test" in html
    assert 'data-count="1234"' in html
    assert "1\xa0234" in html
    assert '<progress class="counter__bar" max="10000" value="1234"' in html
    assert re.search(r'<a class="button button--primary" href="/fr/sign/" target="_blank"', html)
    assert 'rel="noopener"' in html
    # Standalone: no site header, navigation or footer; no script.
    assert "site-header" not in html
    assert "site-footer" not in html
    assert "<script" not in html


def test_the_embed_page_of_a_closed_campaign_has_no_link_to_sign(client):
    CampaignFactory(status=Campaign.Status.CLOSED, signature_count=10)
    html = client.get(embed_url()).content.decode()
    assert 'data-count="10"' in html
    assert "/en/sign/" not in html


@pytest.mark.parametrize("slug", ["no-such-campaign", "a-draft"])
def test_the_embed_page_of_a_missing_or_draft_campaign_is_not_found(client, slug):
    CampaignFactory(slug="a-draft", status=Campaign.Status.DRAFT)
    assert client.get(embed_url(slug=slug)).status_code == 404


def test_the_embed_page_may_be_cached_for_the_count_interval(client, campaign, settings):
    settings.COUNT_REFRESH_SECONDS = 9
    response = client.get(embed_url())
    assert "max-age=9" in response["Cache-Control"]
