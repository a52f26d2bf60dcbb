"""Kill switches: signing paused (the organisers' message instead of the form, in the page's
language) and read-only mode (every public write answers a clear page; logging in and the back
office keep working, so that organisers can switch it off)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from abuse.models import KillSwitches
from campaign import safeguards
from campaign.models import AuditEvent
from signatures import tokens
from signatures.models import Signature, Supporter
from tests.factories import SignatureFactory

from .conftest import SIGNER

pytestmark = pytest.mark.django_db

PAUSE = {
    "signing_paused": "on",
    "pause_message_en": "We are checking a wave of fake signatures. Back tonight.",
    "pause_message_fr": "Nous vérifions une vague de fausses signatures. Retour ce soir.",
}


@pytest.fixture
def organiser(client_as, campaign, django_capture_on_commit_callbacks):
    organiser = client_as("Organiser")

    def switch(**fields):
        with django_capture_on_commit_callbacks(execute=True):
            response = organiser.post("/organise/abuse/switches/", fields)
        assert response.status_code == 302
        return response

    organiser.switch = switch
    return organiser


def test_pausing_shows_the_message_in_each_language_instead_of_the_form(organiser, client):
    organiser.switch(**PAUSE)
    client.logout()
    english = client.get("/en/sign/").content.decode()
    french = client.get("/fr/sign/").content.decode()
    assert PAUSE["pause_message_en"] in english and 'name="full_name"' not in english
    assert PAUSE["pause_message_fr"] in french and 'name="full_name"' not in french
    event = AuditEvent.objects.get(action="abuse.kill_switches_changed")
    assert event.actor == organiser.user
    assert event.data["after"] == {"signing_paused": True, "read_only": False}


def test_while_paused_nothing_is_stored(organiser, client):
    organiser.switch(**PAUSE)
    client.logout()
    response = client.post("/en/sign/", SIGNER)
    assert response.status_code == 503
    assert PAUSE["pause_message_en"] in response.content.decode()
    assert not Supporter.objects.exists()


def test_a_pause_without_a_message_says_so_plainly(organiser, client):
    organiser.switch(signing_paused="on")
    client.logout()
    assert "paused new signatures" in client.get("/en/sign/").content.decode()


def test_unpausing_brings_the_form_back(organiser, client):
    organiser.switch(**PAUSE)
    organiser.switch()  # both boxes unticked
    client.logout()
    assert 'name="full_name"' in client.get("/en/sign/").content.decode()
    assert client.post("/en/sign/", SIGNER).status_code == 302


def test_the_sign_page_still_costs_one_query_when_paused(
    organiser, client, django_assert_num_queries
):
    organiser.switch(**PAUSE)
    client.logout()
    with django_assert_num_queries(1):
        assert client.get("/en/sign/").status_code == 200


def test_read_only_refuses_every_public_write(organiser, client, campaign):
    pending = SignatureFactory(campaign=campaign)
    organiser.switch(read_only="on")
    client.logout()

    writes = [
        client.post("/fr/sign/", SIGNER),
        client.post("/fr/sign/new-link/", {"email": "ada@example.org"}),
        client.post(f"/fr/sign/withdraw/{tokens.make_withdraw_token(pending)}/"),
        client.get(f"/fr/sign/confirm/{tokens.make_confirm_token(pending)}/"),  # a GET that writes
    ]
    for response in writes:
        assert response.status_code == 503
        assert response["Retry-After"]
        assert '<html lang="fr">' in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == Signature.Status.PENDING
    assert Supporter.objects.count() == 1  # only the pending signer
    # Reading goes on.
    assert client.get("/fr/sign/").status_code == 200
    assert client.get("/fr/supporters/").status_code == 200


def test_read_only_lets_organisers_log_in_and_switch_it_off(organiser, client):
    organiser.switch(read_only="on")
    assert client.post(
        "/en/accounts/login/code/", {"email": "someone@example.org"}
    ).status_code == (302)
    organiser.switch()  # the back office still takes POSTs
    assert KillSwitches.objects.get().read_only is False
    client.logout()
    assert client.post("/en/sign/", SIGNER).status_code == 302


def test_switches_are_read_from_the_cache_and_repaired_when_it_is_emptied(
    organiser, client, django_capture_on_commit_callbacks
):
    organiser.switch(**PAUSE)
    assert safeguards.current().signing_paused
    cache.clear()  # Redis restarted
    with django_capture_on_commit_callbacks(execute=True):
        cold = safeguards.current()
    assert cold.published is False and cold.signing_paused is False  # defaults, meanwhile
    assert safeguards.current().signing_paused  # republished from the database


def test_beat_republishes_the_switches(organiser):
    from abuse.tasks import publish_safeguards

    organiser.switch(**PAUSE)
    cache.clear()
    publish_safeguards.delay()
    assert safeguards.current().signing_paused


def test_a_cache_that_is_down_never_breaks_the_sign_page(campaign, client, settings):
    settings.CACHES = {
        **settings.CACHES,
        "down": {"BACKEND": "campaign.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
    }
    settings.RATE_LIMIT_CACHE = "down"
    assert client.get("/en/sign/").status_code == 200
    assert client.post("/en/sign/", SIGNER).status_code == 302


def test_the_home_page_shows_the_pause_instead_of_its_sign_form(organiser, client):
    organiser.switch(**PAUSE)
    client.logout()
    home = client.get("/en/").content.decode()
    assert PAUSE["pause_message_en"] in home and 'name="full_name"' not in home
    organiser.switch()
    client.logout()
    cache.clear()  # the page cache keeps the home page for the counting interval (5 s)
    assert 'name="full_name"' in client.get("/en/").content.decode()
