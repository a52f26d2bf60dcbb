"""The public directory and profiles: what the public sees, and never sees."""

from __future__ import annotations

import datetime
import re
from urllib.parse import unquote

import pytest
from django.db import connection
from django.utils import timezone

from signatures import selectors
from signatures.models import NameDisplay, Signature
from signatures.selectors import DirectoryFilters, directory_page
from tests.conftest import need_service
from tests.factories import CampaignFactory, SignatureFactory, SupporterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return CampaignFactory()


def signed(campaign, *, minutes_ago: int = 0, **supporter):
    """A confirmed signature, confirmed ``minutes_ago``."""
    signature = SignatureFactory(
        campaign=campaign, supporter=SupporterFactory(**supporter), confirmed=True
    )
    Signature.objects.filter(pk=signature.pk).update(
        confirmed_at=timezone.now() - datetime.timedelta(minutes=minutes_ago)
    )
    return signature


def names_on(html: str) -> list[str]:
    return re.findall(r'class="supporter-card__name" href="[^"]+">([^<]+)</a>', html)


def test_directory_lists_confirmed_listed_signatories_newest_first(client, campaign):
    signed(campaign, full_name="Older Artist", minutes_ago=10)
    signed(campaign, full_name="Newer Artist", minutes_ago=1)
    signed(campaign, full_name="Hidden Artist", name_display=NameDisplay.HIDDEN)
    SignatureFactory(campaign=campaign, supporter=SupporterFactory(full_name="Pending Artist"))
    held = signed(campaign, full_name="Held Artist")
    Signature.objects.filter(pk=held.pk).update(moderation="held")
    withdrawn = signed(campaign, full_name="Gone Artist")
    Signature.objects.filter(pk=withdrawn.pk).update(status="withdrawn")

    html = client.get("/en/supporters/").content.decode()

    assert names_on(html) == ["Newer Artist", "Older Artist"]


def test_a_card_shows_the_change_at_once_in_each_language(client, campaign):
    """Each process keeps the cards it rendered (signatures/templatetags/supporter_cards.py):
    keyed by what they show, so an edit or another language is a new card, never a stale one."""
    signature = signed(campaign, full_name="Ines Varga", known_for="Cellist", country="HU")
    first = client.get("/en/supporters/?q=varga").content.decode()
    supporter = signature.supporter
    supporter.known_for = "Composer"
    supporter.save()

    again = client.get("/en/supporters/?q=varga").content.decode()
    french = client.get("/fr/supporters/?q=varga").content.decode()

    assert "Cellist" in first and "Hungary" in first
    assert "Composer" in again and "Cellist" not in again
    assert "Composer" in french and "Hongrie" in french


def test_initials_only_supporters_show_no_surname_anywhere(client, campaign):
    signature = signed(campaign, full_name="Marguerite Duras", name_display=NameDisplay.INITIAL)
    pages = [
        "/en/",
        "/en/supporters/",
        "/en/supporters/?q=duras",
        f"/en/supporters/{signature.supporter.slug}/",
    ]
    for path in pages:
        html = client.get(path).content.decode()
        assert "Duras" not in html, path
    assert "Marguerite D." in client.get("/en/supporters/").content.decode()
    assert names_on(client.get("/en/supporters/?q=duras").content.decode()) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"Ana Writer", "Bo Actor", "Cy Verified"}),
        ("field=actor", {"Bo Actor"}),
        ("country=BR", {"Ana Writer"}),
        ("verified=on", {"Cy Verified"}),
        ("field=writer&country=FR", set()),
        ("field=astronaut", {"Ana Writer", "Bo Actor", "Cy Verified"}),  # bad value ignored
    ],
)
def test_directory_filters(client, campaign, query, expected):
    signed(campaign, full_name="Ana Writer", field_of_work="writer", country="BR")
    signed(campaign, full_name="Bo Actor", field_of_work="actor", country="FR")
    cy = signed(campaign, full_name="Cy Verified", field_of_work="musician", country="FR")
    cy.supporter.verified_at = timezone.now()
    cy.supporter.save()

    html = client.get(f"/en/supporters/?{query}").content.decode()

    assert set(names_on(html)) == expected


@pytest.mark.parametrize("query", ["björk", "BJORK", "bjork", "Bjö"])
def test_search_ignores_case_and_accents(client, campaign, query):
    signed(campaign, full_name="Björk Guðmundsdóttir")
    signed(campaign, full_name="Someone Else")
    html = client.get("/en/supporters/", {"q": query}).content.decode()
    assert names_on(html) == ["Björk Guðmundsdóttir"]


@pytest.mark.parametrize("query", ["Scarlet Johanson", "scarlett johannson", "jonansson"])
def test_search_tolerates_typos_on_postgresql(client, campaign, query):
    need_service("PostgreSQL (typo-tolerant search)", connection.vendor == "postgresql")
    signed(campaign, full_name="Scarlett Johansson")
    signed(campaign, full_name="Cate Blanchett")
    html = client.get("/en/supporters/", {"q": query}).content.decode()
    assert names_on(html) == ["Scarlett Johansson"]


@pytest.mark.parametrize("names_max", [1000, 2], ids=["names-first", "common-name-walk"])
def test_a_search_pages_through_every_match_newest_first(campaign, monkeypatch, names_max):
    """A search lists the matching names first, then their signatures; past
    ``SEARCH_NAMES_MAX`` names it walks the directory instead. Both give the same pages."""
    monkeypatch.setattr(selectors, "SEARCH_NAMES_MAX", names_max)
    for n in range(7):
        signed(campaign, full_name=f"Ada Lovelace {n}", minutes_ago=100 - n)
    signed(campaign, full_name="Ada Hidden", name_display=NameDisplay.HIDDEN)
    held = signed(campaign, full_name="Ada Held")
    Signature.objects.filter(pk=held.pk).update(moderation="held")
    signed(campaign, full_name="Grace Hopper")

    seen, cursor = [], ""
    while True:
        page = directory_page(
            campaign=campaign, filters=DirectoryFilters(query="ada"), cursor=cursor, size=3
        )
        seen += [entry.supporter.full_name for entry in page.entries]
        if not page.next_cursor:
            break
        cursor = page.next_cursor

    assert seen == [f"Ada Lovelace {n}" for n in reversed(range(7))]


def test_a_search_that_matches_no_name_shows_no_one(client, campaign):
    signed(campaign, full_name="Grace Hopper")
    html = client.get("/en/supporters/", {"q": "zzyzx"}).content.decode()
    assert names_on(html) == []
    assert client.get("/en/supporters/", {"q": "zzyzx"}).status_code == 200


def test_cursor_pages_neither_skip_nor_repeat_while_people_sign(campaign):
    for n in range(25):
        signed(campaign, full_name=f"Artist {n:02d}", minutes_ago=100 - n)
    seen: list[str] = []
    cursor = ""
    pages = 0
    while True:
        page = directory_page(campaign=campaign, filters=DirectoryFilters(), cursor=cursor, size=7)
        seen += [s.supporter.full_name for s in page.entries]
        pages += 1
        # New signatures arrive between page loads.
        signed(campaign, full_name=f"Newcomer {pages}")
        if not page.next_cursor:
            break
        cursor = page.next_cursor

    assert seen == [f"Artist {n:02d}" for n in reversed(range(25))]
    assert pages == 4


def test_cursor_pages_break_ties_on_the_same_second(campaign):
    moment = timezone.now()
    for n in range(5):
        signature = signed(campaign, full_name=f"Same Second {n}")
        Signature.objects.filter(pk=signature.pk).update(confirmed_at=moment)
    first = directory_page(campaign=campaign, filters=DirectoryFilters(), size=2)
    second = directory_page(
        campaign=campaign, filters=DirectoryFilters(), cursor=first.next_cursor, size=2
    )
    third = directory_page(
        campaign=campaign, filters=DirectoryFilters(), cursor=second.next_cursor, size=2
    )
    names = [s.supporter.full_name for p in (first, second, third) for s in p.entries]
    assert sorted(names) == [f"Same Second {n}" for n in range(5)]
    assert third.next_cursor == ""


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "e30",
        "WyJ4IiwgMV0",
        "!!!",
        "WyIwMDAxLTAxLTAxVDAwOjAwOjAwKzA1OjAwIiwgMV0",  # year 1 at +05:00: out of range
        "WyIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwgMTAwMDAwMDAwMDAwMDAwMDAwMDAwMF0",  # huge id
    ],
)
def test_a_bad_cursor_shows_the_first_page(client, campaign, cursor):
    signed(campaign, full_name="Only Artist")
    response = client.get("/en/supporters/", {"after": cursor})
    assert response.status_code == 200
    assert names_on(response.content.decode()) == ["Only Artist"]


def test_directory_query_count_is_the_same_at_any_depth(
    client, campaign, django_assert_num_queries
):
    for n in range(70):
        signed(campaign, full_name=f"Artist {n}", minutes_ago=n)
    first = client.get("/en/supporters/")
    later = re.search(r"after=([\w-]+)", first.content.decode()).group(1)

    # The campaign, then one page of signatures joined with their signers; a search first
    # finds the matching names.
    with django_assert_num_queries(2):
        client.get("/en/supporters/")
    with django_assert_num_queries(2):
        client.get("/en/supporters/", {"after": later, "field": "writer"})
    with django_assert_num_queries(3):
        client.get("/en/supporters/", {"after": later, "field": "writer", "q": "artist"})


def test_profile_shows_what_the_supporter_chose(client, campaign):
    signature = signed(
        campaign,
        full_name="Agnès Varda",
        field_of_work="director",
        country="FR",
        known_for="Cléo de 5 à 7",
        bio="Filmmaker and photographer.",
        links=["https://varda.example/"],
        wikidata_id="Q229990",
    )
    Signature.objects.filter(pk=signature.pk).update(comment="Cinema is made by people.")

    html = client.get(f"/en/supporters/{signature.supporter.slug}/").content.decode()

    assert "<h1>Agnès Varda</h1>" in html
    assert "Cléo de 5 à 7" in html
    assert "Filmmaker and photographer." in html
    assert "Cinema is made by people." in html
    assert 'href="https://varda.example/"' in html
    assert 'href="https://www.wikidata.org/wiki/Q229990"' in html
    assert "Not verified" in html


def test_profile_costs_two_queries(client, campaign, django_assert_num_queries):
    signature = signed(campaign, full_name="Agnès Varda")
    with django_assert_num_queries(2):
        response = client.get(f"/en/supporters/{signature.supporter.slug}/")
    assert response.status_code == 200


def test_old_profile_address_redirects_and_hidden_profiles_do_not_exist(client, campaign):
    signature = signed(campaign, full_name="Agnès Varda")
    public_id = signature.supporter.public_id

    old = client.get(f"/en/supporters/old-name-{public_id}/")
    assert old.status_code == 301
    assert unquote(old["Location"]) == f"/en/supporters/{signature.supporter.slug}/"
    bare = client.get(f"/supporters/{public_id}/", HTTP_ACCEPT_LANGUAGE="fr")
    assert bare.status_code == 302
    assert bare["Location"] == f"/fr/supporters/{public_id}/"

    signature.supporter.name_display = NameDisplay.HIDDEN
    signature.supporter.save()
    assert client.get(f"/en/supporters/{signature.supporter.slug}/").status_code == 404


def test_home_shows_featured_and_latest_signatories(client, campaign):
    star = signed(campaign, full_name="Featured Star", minutes_ago=30)
    star.supporter.is_featured = True
    star.supporter.save()
    signed(campaign, full_name="Fresh Signatory")

    html = client.get("/en/").content.decode()

    featured, latest = html.split('id="featured-heading"')[1].split('id="latest-heading"')
    assert names_on(featured) == ["Featured Star"]
    assert names_on(latest) == ["Fresh Signatory", "Featured Star"]


def test_no_public_page_shows_an_email_address(client, campaign):
    secret = "very.private.person@example.org"
    signature = signed(
        campaign,
        email=secret,
        full_name="Private Person",
        known_for="Poet",
    )
    signature.supporter.is_featured = True
    signature.supporter.save()
    Signature.objects.filter(pk=signature.pk).update(comment="Consent matters.")
    pages = [
        "/en/",
        "/fr/",
        "/en/why-it-matters/",
        "/en/about/",
        "/en/privacy/",
        "/en/sign/",
        "/en/supporters/",
        "/fr/supporters/",
        "/en/supporters/?q=private",
        f"/en/supporters/{signature.supporter.slug}/",
        f"/fr/supporters/{signature.supporter.slug}/",
        "/en/sign/check-your-email/",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert "Private Person" in html or path.endswith(
            ("why-it-matters/", "about/", "privacy/", "sign/", "check-your-email/")
        ), path
        assert secret not in html, path
        assert "very.private.person" not in html, path
        assert signature.supporter.email_key not in html, path
