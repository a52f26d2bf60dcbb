"""The tracker's public pages as a visitor sees them: the overview (sortable without
JavaScript, fixed queries), a company's page, the deals, the feed, the logo and the button
that counts a signatory's letter."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation
from PIL import Image

from tests.factories import (
    CompanyFactory,
    DealFactory,
    SignatureFactory,
    SupporterFactory,
    UserFactory,
    published_position,
)
from tracker import services
from tracker.models import SupporterAction

pytestmark = pytest.mark.django_db


def url(name: str, language: str = "en", **kwargs) -> str:
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


def test_urls_are_translated():
    assert url("tracker:overview") == "/en/tracker/"
    assert url("tracker:overview", "fr") == "/fr/suivi/"
    assert url("tracker:company", "fr", slug="x") == "/fr/suivi/entreprises/x/"


def test_the_overview_reads_without_colour_and_hides_unlisted(client, campaign):
    alpha = CompanyFactory(name="Alpha AI")
    published_position(alpha, "licensing", "kept")
    published_position(alpha, "opt-out", "broken")
    CompanyFactory(name="Hidden Corp", is_listed=False)
    html = client.get(url("tracker:overview")).content.decode()
    assert "Alpha AI" in html and "Hidden Corp" not in html
    assert "✓</span> Commitment kept" in html and "✗</span> Commitment broken" in html
    assert "Not assessed yet" in html  # the third demand
    french = client.get(url("tracker:overview", "fr")).content.decode()
    assert "Engagement tenu" in french and "Licencier les œuvres" in french


def _names(html: str, names: list[str]) -> list[str]:
    return sorted(names, key=html.index)


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("name", ["Alpha", "Beta", "Gamma"]),
        ("-name", ["Gamma", "Beta", "Alpha"]),
        ("licensing", ["Beta", "Gamma", "Alpha"]),
        ("kind", ["Beta", "Alpha", "Gamma"]),
        ("<script>", ["Alpha", "Beta", "Gamma"]),
    ],
)
def test_the_overview_sorts_by_links(client, campaign, sort, expected):
    published_position(CompanyFactory(name="Alpha", kind="platform"), "licensing", "broken")
    published_position(CompanyFactory(name="Beta", kind="label-publisher"), "licensing", "kept")
    published_position(CompanyFactory(name="Gamma", kind="platform"), "licensing", "partial")
    response = client.get(url("tracker:overview"), {"sort": sort})
    html = response.content.decode()
    body = html[html.index("<tbody>") :]
    assert _names(body, ["Alpha", "Beta", "Gamma"]) == expected
    assert 'href="?sort=licensing#tracker-table"' in html
    assert "<script>" not in html


@pytest.mark.parametrize("companies", [3, 30])
def test_the_overview_costs_the_same_queries_whatever_the_number_of_companies(
    client, campaign, django_assert_num_queries, companies
):
    for _n in range(companies):
        company = CompanyFactory()
        published_position(company, "licensing", "made")
        published_position(company, "opt-out", "partial")
    client.get(url("tracker:overview"))  # warm caches (the campaign)
    # campaign, criteria, companies, published positions
    with django_assert_num_queries(4):
        response = client.get(url("tracker:overview"))
    assert response.content.decode().count('<th scope="row">') == companies


def test_names_and_summaries_are_escaped(client, campaign):
    company = CompanyFactory(name='<img src=x onerror="alert(1)">')
    published_position(company, summary_en="<script>alert(1)</script>", title="<b>t</b>")
    for name in ("tracker:overview",):
        assert "<img src=x" not in client.get(url(name)).content.decode()
    html = client.get(url("tracker:company", slug=company.slug)).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<b>t</b>" not in html and "<img src=x" not in html


def test_a_company_page_shows_positions_sources_timeline_and_deals(client, campaign):
    company = CompanyFactory(name="Acme Models")
    published_position(company, "licensing", "made", url="https://news.example/made")
    published_position(company, "licensing", "kept", url="https://news.example/kept")
    deal = DealFactory(title_en="Acme and the Guild", other_parties="Writers' Guild")
    deal.companies.add(company)
    services._sources(
        [
            services.SourceData(
                url="https://news.example/deal", title="Deal news", published_on=deal.announced_on
            )
        ],
        deal=deal,
    )
    response = client.get(url("tracker:company", slug=company.slug))
    html = response.content.decode()
    assert "From “Commitment made” to “Commitment kept”." in html
    assert "First assessed: “Commitment made”." in html
    assert "https://news.example/kept" in html
    assert "Acme and the Guild" in html and "Writers&#x27; Guild" in html
    assert "0 signatories wrote to Acme Models" in html
    deals = client.get(url("tracker:deals")).content.decode()
    assert "Acme and the Guild" in deals and "Deal news" in deals


def test_unlisted_or_unknown_companies_are_not_found(client, campaign):
    hidden = CompanyFactory(is_listed=False)
    assert client.get(url("tracker:company", slug=hidden.slug)).status_code == 404
    assert client.get(url("tracker:company", slug="nobody")).status_code == 404


def _mailto_parts(location: str) -> tuple[str, dict]:
    parts = urlsplit(location)
    return unquote(parts.path), {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_a_visitor_gets_a_plain_mailto_link_and_is_not_counted(client, campaign):
    company = CompanyFactory(name="Acme", contact_email="press@acme.example")
    published_position(company)
    html = client.get(url("tracker:company", slug=company.slug)).content.decode()
    assert 'href="mailto:press@acme.example?subject=' in html
    assert '<form method="post"' not in html


def test_a_signatory_is_counted_once_then_sent_to_the_mailto_link(client, campaign):
    company = CompanyFactory(name="Acme", contact_email="press@acme.example")
    published_position(company)
    user = UserFactory()
    supporter = SupporterFactory(user=user)
    SignatureFactory(campaign=campaign, supporter=supporter, confirmed=True)
    client.force_login(user)
    page = client.get(url("tracker:company", slug=company.slug, language="fr"))
    assert 'action="/fr/suivi/entreprises/' in page.content.decode()
    for _click in range(3):
        response = client.post(url("tracker:write", "fr", slug=company.slug))
        assert response.status_code == 302
    address, query = _mailto_parts(response["Location"])
    assert response["Location"].startswith("mailto:")
    assert address == "press@acme.example"
    assert query["body"].index("Bonjour") < query["body"].index("Hello")  # French first
    assert "/fr/suivi/entreprises/" in query["body"]
    assert SupporterAction.objects.filter(company=company).count() == 1
    html = client.get(url("tracker:company", slug=company.slug)).content.decode()
    assert "1 signatory wrote to Acme" in html


def test_a_person_who_has_not_signed_is_not_counted(client, campaign):
    company = CompanyFactory(contact_email="press@acme.example")
    published_position(company)
    user = UserFactory()
    SignatureFactory(campaign=campaign, supporter=SupporterFactory(user=user))  # unconfirmed
    client.force_login(user)
    response = client.post(url("tracker:write", slug=company.slug))
    assert response["Location"].startswith("mailto:")
    assert not SupporterAction.objects.exists()


def test_the_feed_lists_changes_in_each_language(client, campaign):
    company = CompanyFactory(name="Acme")
    published_position(company, "licensing", "made")
    published_position(company, "licensing", "broken")
    english = client.get(url("tracker:feed"))
    assert english["Content-Type"].startswith("application/atom+xml")
    text = english.content.decode()
    assert "Acme, License creative work: from Commitment made to Commitment broken" in text
    french = client.get(url("tracker:feed", "fr")).content.decode()
    assert "Acme, Licencier les œuvres : de Engagement pris à Engagement rompu" in french


def _png(size=(600, 300)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


def test_the_logo_is_served_reencoded_with_long_caching(client, campaign):
    company = services.save_company(
        company=None,
        fields={"name": "Logo Co", "slug": "logo-co", "kind": "platform", "is_listed": True},
        logo=_png(),
        actor=None,
    )
    published_position(company)
    page = client.get(url("tracker:company", slug="logo-co")).content.decode()
    logo_url = f"/tracker/logos/logo-co/{company.logo_version}.png"
    assert logo_url in page
    response = client.get(logo_url)
    assert response["Content-Type"] == "image/png"
    assert "immutable" in response["Cache-Control"]
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(response.content)).size == (256, 128)
    assert client.get("/tracker/logos/logo-co/0000000000000000.png").status_code == 404


def test_public_tracker_pages_are_cacheable_for_visitors_not_for_a_signed_in_signatory(
    client, campaign
):
    company = CompanyFactory(contact_email="press@acme.example")
    published_position(company)
    for name, kwargs in (
        ("tracker:overview", {}),
        ("tracker:company", {"slug": company.slug}),
        ("tracker:deals", {}),
        ("tracker:feed", {}),
    ):
        response = client.get(url(name, **kwargs))
        assert "public" in response.get("Cache-Control", ""), name
    user = UserFactory()
    SignatureFactory(campaign=campaign, supporter=SupporterFactory(user=user), confirmed=True)
    client.force_login(user)
    response = client.get(url("tracker:company", slug=company.slug))
    assert "public" not in response.get("Cache-Control", "")


def test_every_page_passes_the_strict_csp(client, campaign):
    company = CompanyFactory()
    published_position(company)
    for name, kwargs in (
        ("tracker:overview", {}),
        ("tracker:company", {"slug": company.slug}),
        ("tracker:deals", {}),
    ):
        response = client.get(url(name, **kwargs))
        html = response.content.decode()
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert "<script>" not in html and " style=" not in html and "<style" not in html


def test_a_company_page_has_its_own_share_image(client, campaign):
    company = CompanyFactory(name="Acme")
    published_position(company, "licensing", "kept")
    html = client.get(url("tracker:company", "fr", slug=company.slug)).content.decode()
    image_path = url("campaign:tracker_share_image", "fr", slug=company.slug)
    assert f'property="og:image" content="http://testserver{image_path}"' in html or (
        f'{image_path}"' in html
    )
    response = client.get(image_path)
    assert response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == (1200, 630)
    hidden = CompanyFactory(is_listed=False)
    assert client.get(url("campaign:tracker_share_image", slug=hidden.slug)).status_code == 404


def test_the_home_page_counts_companies_and_kept_commitments(
    client, campaign, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        published_position(CompanyFactory(), "licensing", "kept")
        published_position(CompanyFactory(), "licensing", "made")
        CompanyFactory(is_listed=False)
    html = client.get("/en/").content.decode()
    assert "2 companies tracked</a> against these demands" in html
    assert "1 commitment kept so far." in html
    french = client.get("/fr/").content.decode()
    assert "2 entreprises suivies</a>" in french


def test_the_home_page_never_counts_on_request(client, campaign):
    published_position(CompanyFactory(), "licensing", "kept")
    cache.clear()
    assert "companies tracked" not in client.get("/en/").content.decode()  # cache only
    client.get(url("tracker:overview"))  # the overview stores the figures it has anyway
    assert "1 company tracked</a>" in client.get("/en/").content.decode()
