"""Supporters edit their own profile, download their data, withdraw, and erase themselves."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from campaign.models import AuditEvent
from signatures.models import Signature, Supporter
from signatures.services import ensure_account
from tests.backoffice import log_in_admin
from tests.factories import CampaignFactory, SignatureFactory, SupporterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return CampaignFactory()


@pytest.fixture
def member(campaign, client):
    """A confirmed signatory, logged in with the account confirming created."""
    supporter = SupporterFactory(full_name="Ada Lovelace", email="ada@example.org")
    SignatureFactory(campaign=campaign, supporter=supporter, confirmed=True)
    ensure_account(supporter=supporter)
    client.force_login(supporter.user)
    return supporter


def profile_post(**overrides) -> dict:
    data = {
        "full_name": "Ada Lovelace",
        "name_display": "full",
        "field_of_work": "writer",
        "other_fields": ["composer"],
        "country": "GB",
        "known_for": "The first program",
        "bio": "Mathematician.",
        "comment": "Credit your sources.",
        "link_1": "https://ada.example/",
        "link_2": "",
        "link_3": "",
        "link_4": "",
        "link_5": "",
        "isni": "",
        "ipi": "",
        "imdb_id": "",
        "musicbrainz_id": "",
        "wikidata_id": "",
    }
    return data | overrides


def test_anonymous_visitors_are_sent_to_log_in_by_code(client, campaign):
    response = client.get("/en/account/")
    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/login/code/")


def test_the_owner_edits_their_profile(client, member):
    response = client.post("/en/account/", profile_post(wikidata_id="q7259"))

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.bio == "Mathematician."
    assert member.other_fields == ["composer"]
    assert member.links == ["https://ada.example/"]
    assert member.wikidata_id == "Q7259"
    assert Signature.objects.get().comment == "Credit your sources."
    event = AuditEvent.objects.get(action="profile.updated")
    assert event.actor == member.user
    assert event.data["after"]["bio"] == "Mathematician."


def test_an_account_edits_only_its_own_profile(client, campaign, member):
    other = SupporterFactory(full_name="Someone Else")
    SignatureFactory(campaign=campaign, supporter=other, confirmed=True)

    client.post("/en/account/", profile_post(bio="Changed"))

    other.refresh_from_db()
    assert other.bio == ""
    assert Supporter.objects.get(pk=member.pk).bio == "Changed"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("isni", "0000 0001 2103 2684", "ISNI"),
        ("imdb_id", "nm12", "IMDb"),
        ("wikidata_id", "Q0123", "Wikidata"),
        ("musicbrainz_id", "not-a-uuid", "MusicBrainz"),
        ("link_2", "javascript:alert(1)", "Enter a web address"),
        ("bio", "x" * 1001, "at most 1000 characters"),
    ],
)
def test_invalid_profile_values_are_refused_and_kept(client, member, field, value, message):
    response = client.post("/en/account/", profile_post(**{field: value}))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in html
    assert message in html
    member.refresh_from_db()
    assert member.bio == ""


def test_changing_name_removes_the_badge(client, member):
    member.verified_at = timezone.now()
    member.verification_method = "review"
    member.save()

    client.post("/en/account/", profile_post(full_name="Augusta Ada King"))

    member.refresh_from_db()
    assert member.verified_at is None
    assert AuditEvent.objects.filter(action="verification.revoked").exists()


def test_renaming_to_a_launch_supporter_holds_the_signature(client, campaign, member):
    campaign.launch_supporters.create(name="Cate Blanchett", field_of_work="actor")

    client.post("/en/account/", profile_post(full_name="Cate Blanchétt"))

    assert Signature.objects.get().moderation == Signature.Moderation.HELD
    assert "Cate Blanch" not in client.get("/en/supporters/").content.decode()


def test_the_owner_downloads_their_data(client, member):
    response = client.get("/en/account/data.json")

    assert response["Content-Disposition"] == 'attachment; filename="my-data.json"'
    data = json.loads(response.content)
    assert data["supporter"]["email"] == "ada@example.org"
    assert data["signatures"][0]["status"] == "confirmed"
    assert data["signatures"][0]["consent_version"]
    assert data["ai_training_opt_outs"] == []


def test_the_owner_withdraws_from_their_account(client, member, django_capture_on_commit_callbacks):
    assert "Withdraw your signature?" in client.get("/en/account/withdraw/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/en/account/withdraw/")
    assert Signature.objects.get().status == Signature.Status.WITHDRAWN


def test_the_owner_erases_everything(client, member, django_capture_on_commit_callbacks):
    user_id = member.user_id
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/en/account/delete/")

    assert "Your data is deleted" in response.content.decode()
    assert not Supporter.objects.exists()
    assert not Signature.objects.exists()
    assert not get_user_model().objects.filter(pk=user_id).exists()
    erased = AuditEvent.objects.get(action="supporter.erased")
    assert "ada" not in json.dumps(erased.data).lower()
    assert client.get("/en/account/").status_code == 302


def test_organisers_edit_supporters_in_the_admin(client, member):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw-123456")
    log_in_admin(client, admin)
    assert client.get(f"/admin/signatures/supporter/{member.pk}/change/").status_code == 200


def test_confirming_a_signature_creates_an_account_with_a_verified_address(campaign):
    supporter = SupporterFactory(email="new@example.org")
    ensure_account(supporter=supporter)
    assert supporter.user.emailaddress_set.get().verified is True
    ensure_account(supporter=supporter)
    assert get_user_model().objects.count() == 1
