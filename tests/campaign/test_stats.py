"""The figures (signatures.stats), the stats page and the home page's growth chart: what is
counted, what the charts and tables say in each language, what the cache saves."""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation

from campaign.models import Campaign
from signatures import stats
from signatures.services import refresh_signature_counts
from tests.factories import CampaignFactory, SignatureFactory, SupporterFactory

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
JAN = datetime.date(2026, 1, 22)


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)


def url(name: str, language: str) -> str:
    with translation.override(language):
        return reverse(name)


def sign(campaign, *, field="writer", country="FR", day=JAN, verified=False, **signature):
    supporter = SupporterFactory(
        field_of_work=field, country=country, verified_at=timezone.now() if verified else None
    )
    fields = {"status": "confirmed", "confirmed_at": at(day)} | signature
    return SignatureFactory(campaign=campaign, supporter=supporter, **fields)


@pytest.fixture
def campaign():
    """Six counted signatures (3 writers, 2 actors, 1 musician; FR 3, DE 1, GB 1, US 1; one
    verified) over three days, and signatures that must not count."""
    campaign = CampaignFactory(goal=100)
    sign(campaign, field="writer", country="FR", day=JAN, verified=True)
    sign(campaign, field="writer", country="FR", day=JAN)
    sign(campaign, field="actor", country="GB", day=JAN)
    sign(campaign, field="writer", country="DE", day=JAN + datetime.timedelta(days=1))
    sign(campaign, field="actor", country="FR", day=JAN + datetime.timedelta(days=3))
    sign(campaign, field="musician", country="US", day=JAN + datetime.timedelta(days=3))
    # Not counted: awaiting confirmation, held for review, rejected, withdrawn, another campaign.
    sign(campaign, field="musician", country="IT", status="pending", confirmed_at=None)
    sign(campaign, field="dancer", country="IT", moderation="held")
    sign(campaign, field="dancer", country="ES", moderation="rejected")
    sign(campaign, field="musician", country="IT", status="withdrawn")
    other = CampaignFactory(slug="another-appeal")
    sign(other, field="dancer", country="IT", verified=True)
    refresh_signature_counts()
    cache.clear()  # the counting job precomputed the figures; these tests start cold
    campaign.refresh_from_db()
    return campaign


# --- The figures -------------------------------------------------------------------------


def test_growth_counts_confirmed_signatures_by_day_with_running_totals(campaign):
    days = stats.growth(campaign=campaign)

    assert [(d.day, d.new, d.total) for d in days] == [
        (JAN, 3, 3),
        (JAN + datetime.timedelta(days=1), 1, 4),
        (JAN + datetime.timedelta(days=3), 2, 6),
    ]


def test_growth_groups_by_utc_day(db):
    campaign = CampaignFactory()
    late = datetime.datetime(2026, 1, 22, 23, 30, tzinfo=datetime.UTC)
    for moment in (late, late + datetime.timedelta(hours=1)):
        SignatureFactory(campaign=campaign, status="confirmed", confirmed_at=moment)

    days = stats.growth(campaign=campaign)

    assert [(d.day, d.total) for d in days] == [(JAN, 1), (JAN + datetime.timedelta(days=1), 2)]


def test_breakdown_counts_fields_countries_and_verified(campaign):
    figures = stats.breakdown(campaign=campaign)

    assert figures.total == 6 == campaign.signature_count
    assert figures.verified == 1
    assert figures.by_field == {"writer": 3, "actor": 2, "musician": 1}
    assert figures.by_country == {"FR": 3, "GB": 1, "DE": 1, "US": 1}


def test_breakdown_labels_in_the_active_language(campaign):
    figures = stats.breakdown(campaign=campaign)

    with translation.override("en"):
        assert [(s.code, s.count) for s in figures.fields()] == [
            ("writer", 3),
            ("actor", 2),
            ("musician", 1),
        ]
        assert [s.label for s in figures.countries()] == [
            "France",
            "Germany",
            "United Kingdom",
            "United States of America",
        ]
    with translation.override("fr"):
        # Ties are broken alphabetically, in French: Allemagne, États-Unis, Royaume-Uni.
        assert [s.label for s in figures.countries()] == [
            "France",
            "Allemagne",
            "États-Unis d'Amérique",
            "Royaume-Uni",
        ]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-count", ["FR", "DE", "US", "GB"]),
        ("count", ["DE", "US", "GB", "FR"]),
        ("name", ["DE", "US", "FR", "GB"]),
        ("-name", ["GB", "FR", "US", "DE"]),
    ],
)
def test_countries_sort_in_the_active_language(campaign, sort, expected):
    figures = stats.breakdown(campaign=campaign)
    with translation.override("fr"):
        assert [s.code for s in figures.countries(sort)] == expected


@pytest.mark.parametrize(("asked", "used"), [("name", "name"), ("", "-count"), ("drop", "-count")])
def test_country_sort_accepts_only_known_orders(asked, used):
    assert stats.country_sort(asked) == used


def test_a_campaign_without_signatures_has_empty_figures(db):
    campaign = CampaignFactory()
    assert stats.growth(campaign=campaign) == []
    assert stats.breakdown(campaign=campaign) == stats.Breakdown(0, 0, {}, {})


# --- The page ----------------------------------------------------------------------------


class Tables(HTMLParser):
    """The rows of each table with an id: [(row header, cell, cell…)]."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[tuple[str, ...]]] = {}
        self._table = self._row = self._cell = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(tuple(self._row))
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def svgs(html: str) -> dict[str, ET.Element]:
    """Every chart in the page, parsed as XML (so it must be well-formed), by its id."""
    charts = {}
    for markup in re.findall(r"<svg\b.*?</svg>", html, flags=re.S):
        root = ET.fromstring(markup)  # noqa: S314 - the site's own markup
        if root.get("role") == "img":  # not an icon
            charts[root.find(f"{SVG}title").get("id").removesuffix("-title")] = root
    return charts


def bars(chart: ET.Element) -> list[tuple[str, str]]:
    return [
        (
            group.find(f"{SVG}text[@class='chart__label']").text,
            group.find(f"{SVG}text[@class='chart__value']").text,
        )
        for group in chart.iter(f"{SVG}g")
    ]


def body_rows(table: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    return table[1:]  # after the header row


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_bar_charts_and_their_tables_agree(client, campaign, language):
    html = client.get(url("campaign:stats", language)).content.decode()
    tables = Tables(html).tables
    charts = svgs(html)

    fields = body_rows(tables["fields-table"])
    assert bars(charts["fields"]) == [(label, count) for label, count, _share in fields]
    assert [count for _label, count, _share in fields] == ["3", "2", "1"]

    countries = body_rows(tables["countries-table"])
    assert bars(charts["countries"]) == [(label, count) for label, count, _share in countries]
    assert countries[0][:2] == ("France", "3")


def test_the_growth_chart_and_its_table_agree(client, campaign):
    html = client.get(url("campaign:stats", "en")).content.decode()
    table = body_rows(Tables(html).tables["growth-table"])
    chart = svgs(html)["growth"]

    assert table == [
        ("Jan. 22, 2026", "3", "3"),
        ("Jan. 23, 2026", "1", "4"),
        ("Jan. 25, 2026", "2", "6"),
    ]
    markers = [c.find(f"{SVG}title").text for c in chart.iter(f"{SVG}circle")]
    assert markers == [f"{date}: {total} signatures in all" for date, _new, total in table]


def test_the_verified_share_and_its_table_agree(client, campaign):
    html = client.get(url("campaign:stats", "en")).content.decode()
    table = body_rows(Tables(html).tables["verified-table"])
    legend = [t.text for t in svgs(html)["verified"].iter(f"{SVG}text")]

    assert table == [("Verified", "1", "16.7%"), ("Not verified", "5", "83.3%")]
    assert legend == ["Verified artists: 1 (16.7%)", "Not verified: 5 (83.3%)"]


def test_every_chart_is_named_and_described_for_screen_readers(client, campaign):
    html = client.get(url("campaign:stats", "en")).content.decode()
    charts = svgs(html)

    assert set(charts) == {"growth", "fields", "countries", "verified"}
    for chart_id, chart in charts.items():
        assert chart.get("role") == "img"
        assert chart.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
        assert chart.find(f"{SVG}title").text
        assert chart.find(f"{SVG}desc").get("id") == f"{chart_id}-desc"
        assert chart.find(f"{SVG}desc").text
    assert charts["growth"].find(f"{SVG}desc").text == (
        "Confirmed signatures in all, day by day: from 3 on Jan. 22, 2026 to 6 on Jan. 25, 2026."
    )


def test_the_stats_page_in_french(client, campaign):
    response = client.get(url("campaign:stats", "fr"))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in html
    assert "Appel de test" in html
    tables = Tables(html).tables
    # Dates, month names and decimal commas from Django's French locale; country names from
    # django-countries' French catalogue.
    assert body_rows(tables["growth-table"])[0] == ("22 janvier 2026", "3", "3")
    assert "22 janvier" in [t.text for t in svgs(html)["growth"].iter(f"{SVG}text")]
    assert body_rows(tables["countries-table"])[1][:2] == ("Allemagne", "1")
    verified = body_rows(tables["verified-table"])[0]
    assert verified[1] == "1"
    assert verified[2].startswith("16,7")  # the % sign's spacing is the translators' choice


def test_french_figures_group_thousands_the_french_way(client, db):
    CampaignFactory(goal=100_000)
    days = [stats.Day(JAN, 1234, 1234)]
    breakdown = stats.Breakdown(1234, 0, {"writer": 1234}, {"FR": 1234})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stats, "growth", lambda campaign: days)
        patch.setattr(stats, "breakdown", lambda campaign: breakdown)
        html = client.get(url("campaign:stats", "fr")).content.decode()

    fields = body_rows(Tables(html).tables["fields-table"])
    assert fields[0][1] == "1\xa0234"
    assert bars(svgs(html)["fields"])[0][1] == "1\xa0234"


def test_the_countries_table_sorts_without_javascript(client, campaign):
    html = client.get(url("campaign:stats", "en") + "?sort=name").content.decode()
    countries = body_rows(Tables(html).tables["countries-table"])

    assert [row[0] for row in countries] == [
        "France",
        "Germany",
        "United Kingdom",
        "United States of America",
    ]
    assert 'aria-sort="ascending"><a href="?sort=-name#countries-table">Country' in html
    assert 'href="?sort=-count#countries-table">Signatures' in html
    # The chart keeps the largest first, whatever the table's order.
    assert [label for label, _value in bars(svgs(html)["countries"])][0] == "France"


def test_an_unknown_sort_falls_back_to_the_largest_first(client, campaign):
    response = client.get(url("campaign:stats", "en") + "?sort=<script>")
    assert response.status_code == 200
    assert 'aria-sort="descending"><a href="?sort=count#countries-table">' in response.text
    assert "<script>" not in response.text.split("<main", 1)[1].split("</main>")[0]


def test_the_stats_page_shows_the_code_to_embed_the_counter(client, campaign, settings):
    settings.SITE_URL = "https://appeal.example"
    html = client.get(url("campaign:stats", "en")).content.decode()

    assert (
        "&lt;iframe src=&quot;https://appeal.example/en/embed/stealing-isnt-innovation/&quot;"
        in html
    )
    assert "width=&quot;100%&quot; height=&quot;180&quot;" in html
    assert re.search(r'<textarea id="embed-code"[^>]*readonly', html)


def test_the_embed_code_keeps_the_title_whole(client, db):
    CampaignFactory(title_en='Say "no" & <mean> it, don\'t')
    html = client.get(url("campaign:stats", "en")).content.decode()

    class Snippet(HTMLParser):
        code = ""
        iframe: dict = {}

        def handle_data(self, data):
            if self.lasttag == "textarea" and data.strip():
                self.code = data

        def handle_starttag(self, tag, attrs):
            if tag == "iframe":
                self.iframe = dict(attrs)

    page = Snippet()
    page.feed(html)
    pasted = Snippet()  # what a partner's page makes of the copied code
    pasted.feed(page.code)
    assert pasted.iframe["title"] == 'Signature counter: Say "no" & <mean> it, don\'t'
    assert pasted.iframe["src"].endswith("/en/embed/stealing-isnt-innovation/")


def test_the_stats_page_before_the_first_signature(client, db):
    CampaignFactory()
    html = client.get(url("campaign:stats", "en")).content.decode()
    assert "No signature has been counted yet" in html
    assert "<svg" not in html


def test_the_site_navigation_links_to_the_figures(client, campaign):
    html = client.get(url("campaign:why", "en")).content.decode()
    assert '<a href="/en/stats/">Figures</a>' in html
    html = client.get(url("campaign:stats", "en")).content.decode()
    assert '<a href="/en/stats/" aria-current="page">Figures</a>' in html


def test_a_draft_campaign_has_no_stats_page(client, db):
    CampaignFactory(status=Campaign.Status.DRAFT)
    assert client.get(url("campaign:stats", "en")).status_code == 404


# --- Queries and the cache -----------------------------------------------------------------


def test_the_stats_page_queries_cold_and_warm(client, campaign, django_assert_num_queries):
    # Cold: the campaign, the signatures by day, by field of work × country.
    with django_assert_num_queries(3):
        client.get(url("campaign:stats", "en"))
    # Warm: the campaign only (its count version names the cached figures).
    with django_assert_num_queries(1):
        client.get(url("campaign:stats", "en"))
    # Another language or order renders again from the cached figures, without aggregating.
    with django_assert_num_queries(1):
        client.get(url("campaign:stats", "fr") + "?sort=name")


def test_the_figures_are_cached_until_the_count_changes(client, campaign):
    before = client.get(url("campaign:stats", "en")).content.decode()
    sign(campaign, field="dancer", country="JP")

    assert client.get(url("campaign:stats", "en")).content.decode() == before

    refresh_signature_counts()
    after = client.get(url("campaign:stats", "en")).content.decode()
    assert "Japan" in after
    assert "Japan" not in before


def test_while_another_request_computes_the_figures_the_latest_are_served(
    client, campaign, django_assert_num_queries
):
    client.get(url("campaign:stats", "en"))
    sign(campaign, field="dancer", country="JP")
    refresh_signature_counts()
    campaign.refresh_from_db()
    # Another request holds the lock of the new count version's figures.
    for name, parts in (("page", ("en", "-count")), ("growth", ()), ("breakdown", ())):
        key, _latest = stats._keys(name, campaign, parts)
        cache.set(f"{key}:lock", True)

    with django_assert_num_queries(1):
        html = client.get(url("campaign:stats", "en")).content.decode()
    assert "Japan" not in html  # the previous version, rather than a second aggregate


def test_the_stats_page_works_when_the_cache_is_down(client, campaign, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    for method in ("get", "set", "add", "delete"):
        monkeypatch.setattr(cache, method, broken)

    response = client.get(url("campaign:stats", "en"))
    assert response.status_code == 200
    assert "fields-table" in response.text


# --- The home page -----------------------------------------------------------------------


def test_the_home_page_shows_the_growth_chart_once_the_figures_are_computed(client, campaign):
    html = client.get(url("campaign:home", "en")).content.decode()
    assert 'class="growth-card"' not in html  # the home page never aggregates itself

    stats.warm(campaign=campaign)

    html = client.get(url("campaign:home", "en")).content.decode()
    chart = svgs(html)["growth-mini"]
    assert chart.get("role") == "img"
    assert Tables(html).tables["growth-mini-table"][-1] == ("Jan. 25, 2026", "2", "6")
    assert '<a href="/en/stats/">' in html


def test_the_home_page_uses_the_figures_the_stats_page_computed(client, campaign):
    client.get(url("campaign:stats", "fr"))
    html = client.get(url("campaign:home", "en")).content.decode()
    assert "growth-mini" in svgs(html)


def test_the_home_page_draws_the_latest_figures_while_new_ones_are_missing(
    client, campaign, django_assert_num_queries, monkeypatch
):
    stats.warm(campaign=campaign)
    sign(campaign, field="dancer", country="JP", day=JAN + datetime.timedelta(days=4))
    # As if precomputing the new count's figures had failed in the counting job.
    monkeypatch.setattr("signatures.services.signing._warm_figures", lambda campaign_id: None)
    refresh_signature_counts()

    with django_assert_num_queries(6) as captured:
        html = client.get(url("campaign:home", "en")).content.decode()

    assert Tables(html).tables["growth-mini-table"][-1][-1] == "6"
    assert 'data-count="7"' in html
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)


def test_the_count_job_precomputes_the_home_growth_chart(
    client, django_capture_on_commit_callbacks
):
    from signatures.services import refresh_signature_counts
    from tests.factories import CampaignFactory as Campaigns
    from tests.factories import SignatureFactory as Signatures

    campaign = Campaigns()
    Signatures.create_batch(3, campaign=campaign, confirmed=True)

    refresh_signature_counts()

    html = client.get("/en/").content.decode()
    assert 'data-count="3"' in html
    assert "<svg" in html.split('id="counter-heading"')[1]


def test_the_french_figures_table_names_signatories_in_the_plural(client, campaign):
    html = client.get(url("campaign:stats", "fr")).content.decode()
    assert '<th scope="row">Vérifiés</th>' in html
    assert '<th scope="row">Non vérifiés</th>' in html
