"""Installing the launch content, and organisers editing it in the admin."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from campaign.models import Campaign, KeyMessage, LaunchSupporter
from tests.backoffice import log_in_admin
from tests.factories import KeyMessageFactory

pytestmark = pytest.mark.django_db


def test_load_campaign_installs_the_appeal_in_both_languages():
    call_command("load_campaign")

    campaign = Campaign.objects.get(slug="stealing-isnt-innovation")
    assert campaign.title_en == "Stealing Isn't Innovation"
    assert campaign.title_fr == "Voler n'est pas innover"
    assert campaign.status == Campaign.Status.LIVE
    for field in ("summary", "appeal", "why_it_matters", "about"):
        assert getattr(campaign, f"{field}_en")
        assert getattr(campaign, f"{field}_fr")
        assert getattr(campaign, f"{field}_en") != getattr(campaign, f"{field}_fr")
    assert campaign.key_messages.count() == 3
    assert campaign.demands.count() == 3
    assert campaign.stakes.count() == 3
    assert campaign.solutions.count() == 3
    assert all(m.title_fr and m.body_fr for m in campaign.key_messages.all())
    assert list(campaign.launch_supporters.values_list("name", flat=True)) == [
        "Scarlett Johansson",
        "Cate Blanchett",
        "Joseph Gordon-Levitt",
        "Vince Gilligan",
        "Cyndi Lauper",
        "Bonnie Raitt",
        "The Roots",
        "R.E.M.",
        "Billy Corgan",
    ]


def test_load_campaign_twice_keeps_what_organisers_edited(capsys):
    call_command("load_campaign")
    KeyMessage.objects.filter(position=1).update(title_en="Edited by an organiser")
    Campaign.objects.update(signature_count=42)

    call_command("load_campaign")

    assert "left unchanged" in capsys.readouterr().out
    assert KeyMessage.objects.filter(title_en="Edited by an organiser").exists()
    assert Campaign.objects.count() == 1
    assert LaunchSupporter.objects.count() == 9


def test_load_campaign_update_restores_the_launch_text_but_not_the_count():
    call_command("load_campaign")
    KeyMessage.objects.filter(position=1).update(title_en="Edited by an organiser")
    Campaign.objects.update(signature_count=42, status=Campaign.Status.CLOSED)

    call_command("load_campaign", "--update")

    campaign = Campaign.objects.get()
    assert not KeyMessage.objects.filter(title_en="Edited by an organiser").exists()
    assert campaign.key_messages.count() == 3
    assert campaign.signature_count == 42
    assert campaign.status == Campaign.Status.CLOSED


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("organiser", "org@example.org", "pw-1234567")
    return log_in_admin(client, user)


def test_admin_edits_a_key_message_in_both_languages(admin_client):
    message = KeyMessageFactory()
    change_url = f"/admin/campaign/keymessage/{message.pk}/change/"

    form = admin_client.get(change_url)
    assert form.status_code == 200
    assert 'name="title_en"' in form.content.decode()
    assert 'name="title_fr"' in form.content.decode()

    response = admin_client.post(
        change_url,
        {
            "campaign": message.campaign_id,
            "position": 3,
            "title_en": "Consent comes first",
            "title_fr": "Le consentement d'abord",
            "body_en": "Ask before you train.",
            "body_fr": "Demandez avant d'entraîner.",
        },
    )

    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.title_en, message.title_fr) == (
        "Consent comes first",
        "Le consentement d'abord",
    )
    assert (message.body_en, message.body_fr) == (
        "Ask before you train.",
        "Demandez avant d'entraîner.",
    )


def test_edited_key_message_shows_on_the_home_page_in_each_language(admin_client, client):
    message = KeyMessageFactory(title_en="Consent comes first", title_fr="Le consentement d'abord")
    assert "Consent comes first" in client.get("/en/").content.decode()
    assert "Le consentement d&#x27;abord" in client.get("/fr/").content.decode()
    assert message.campaign.status == Campaign.Status.LIVE
