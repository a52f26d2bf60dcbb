"""The opt-out page as an artist uses it: without JavaScript, in both languages, with clear
messages when something cannot be done."""

from __future__ import annotations

import json

import pytest

from campaign.models import AuditEvent
from optouts.models import OptOutDeclaration
from signatures.services import link_back_token
from tests.backoffice import log_in_admin
from tests.optouts.conftest import make_artist, proof_for

pytestmark = pytest.mark.django_db

PAGE = "/en/account/opt-out/"


@pytest.fixture
def logged_in(client, artist):
    client.force_login(artist.user)
    return client


def test_the_page_needs_a_login(client, artist):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_account_page_links_to_it(logged_in):
    assert PAGE in logged_in.get("/en/account/").content.decode()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_page_explains_tdmrep_and_robots_txt_and_shows_the_proof(logged_in, artist, language):
    response = logged_in.get(f"/{language}/account/opt-out/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "tdmrep.json" in html and "robots.txt" in html
    assert link_back_token(artist) in html
    assert 'name="locations"' in html
    assert "<script" not in html


def test_an_unverified_artist_is_told_and_cannot_publish(client, campaign):
    unverified = make_artist(campaign, verified=False, full_name="Uma Unverified")
    client.force_login(unverified.user)
    assert "Only verified artists can publish a declaration" in client.get(PAGE).content.decode()

    response = client.post(PAGE, {"locations": "uma.example", "confirm": "on"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Only verified artists can publish an opt-out declaration" in html
    assert "uma.example" in html  # what was typed is kept
    assert not OptOutDeclaration.objects.exists()


def test_declaring_checks_the_places_and_shows_the_result(
    logged_in, artist, pages, django_capture_on_commit_callbacks
):
    good = pages.page("/works/", proof_for(artist))
    bad = pages.page("/elsewhere/", "<p>nothing</p>")
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(
            PAGE,
            {
                "locations": f"{good}\n\n{bad}\n",
                "licensing_url": "agent.example/licensing",
                "confirm": "on",
            },
        )

    assert response.status_code == 302
    declaration = OptOutDeclaration.objects.get(supporter=artist)
    assert declaration.licensing_url == "https://agent.example/licensing"
    html = logged_in.get(PAGE).content.decode()
    assert "In force since" in html
    assert "published." in html
    assert "we found no link to your profile" in html
    assert "It appears in the public registry." in html
    assert AuditEvent.objects.get(action="optout.declared").actor == artist.user


def test_a_mistake_is_explained_and_nothing_typed_is_lost(logged_in):
    response = logged_in.post(
        PAGE,
        {"locations": "nina.example\nhttps://nina.example/g?page=2", "licensing_url": ""},
    )
    html = response.content.decode()

    assert response.status_code == 200
    assert "without “?” or “#”" in html
    assert "This field is required." in html  # the confirmation box
    assert "https://nina.example/g?page=2" in html
    assert not OptOutDeclaration.objects.exists()


@pytest.fixture
def declared(logged_in, artist, pages, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        logged_in.post(
            PAGE,
            {"locations": f"{pages.page('/w/', proof_for(artist))}", "confirm": "on"},
        )
    return OptOutDeclaration.objects.get(supporter=artist)


def test_downloads_give_the_files_for_each_site(logged_in, declared):
    site = declared.locations.get().origin

    tdmrep = logged_in.get("/en/account/opt-out/tdmrep.json", {"site": site})
    robots = logged_in.get("/en/account/opt-out/robots.txt", {"site": site})

    assert tdmrep["Content-Disposition"] == 'attachment; filename="tdmrep.json"'
    assert tdmrep["Content-Type"].startswith("application/json")
    assert json.loads(tdmrep.content)[0]["location"] == "/w/"
    assert robots["Content-Type"].startswith("text/plain")
    assert "User-agent: GPTBot" in robots.content.decode()
    assert "Disallow: /w/" in robots.content.decode()
    assert tdmrep["Cache-Control"] == "no-store"


def test_downloads_are_only_for_ones_own_sites(client, logged_in, declared, campaign):
    site = declared.locations.get().origin
    assert (
        logged_in.get("/en/account/opt-out/tdmrep.json", {"site": "https://x.example"}).status_code
        == 404
    )

    other = make_artist(campaign, full_name="Omar Other")
    client.force_login(other.user)

    assert client.get("/en/account/opt-out/tdmrep.json", {"site": site}).status_code == 404
    assert client.get("/en/account/opt-out/robots.txt", {"site": site}).status_code == 404


def test_adding_a_place_from_the_page(
    logged_in, declared, pages, artist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(
            "/en/account/opt-out/add/", {"url": pages.page("/more/", proof_for(artist))}
        )

    assert response.status_code == 302
    assert declared.locations.filter(status="ok").count() == 2


def test_a_bad_place_is_explained_on_the_page(logged_in, declared):
    response = logged_in.post("/en/account/opt-out/add/", {"url": "ftp://nina.example/"})

    assert response.status_code == 200
    assert "Enter an address such as example.com" in response.content.decode()
    assert declared.locations.count() == 1


def test_withdrawing_from_the_page_keeps_the_record(logged_in, declared):
    response = logged_in.post("/en/account/opt-out/withdraw/")

    assert response.status_code == 302
    declared.refresh_from_db()
    assert declared.status == "withdrawn"
    html = logged_in.get(PAGE).content.decode()
    assert "Earlier declarations" in html and "withdrawn on" in html
    assert 'name="locations"' in html  # a new declaration may be made


def test_the_page_refuses_a_get_on_actions(logged_in, declared):
    assert logged_in.get("/en/account/opt-out/withdraw/").status_code == 405
    declared.refresh_from_db()
    assert declared.is_active


def test_a_logged_in_user_without_a_signature_is_sent_to_sign(client, django_user_model, campaign):
    client.force_login(django_user_model.objects.create_user("nobody", "nobody@example.org"))

    assert "Sign the appeal" in client.get(PAGE).content.decode()


def test_organisers_see_declarations_in_the_admin_without_changing_them(
    client, declared, django_user_model
):
    log_in_admin(client, django_user_model.objects.create_superuser("org", "org@example.org", "pw"))

    listing = client.get("/admin/optouts/optoutdeclaration/")
    detail = client.get(f"/admin/optouts/optoutdeclaration/{declared.pk}/change/")

    assert listing.status_code == 200 and "Nina Painter" in listing.content.decode()
    assert detail.status_code == 200 and declared.locations.get().url in detail.content.decode()
    assert client.get("/admin/optouts/optoutdeclaration/add/").status_code == 403
