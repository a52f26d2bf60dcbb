"""French labels agree with the noun they describe: one English word ("Verified", "Sent",
"Cancelled", "Withdrawn", …) serves nouns of both genders, so each use has its context."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

from abuse.models import Invalidation
from campaign.models import OutboundEmail
from consent.models import ConsentRecord
from signatures.models import Signature, Verification
from tests.factories import SignatureFactory, SupporterFactory
from updates.models import Update

pytestmark = pytest.mark.django_db


def french(client):
    client.cookies["django_language"] = "fr"
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    return client


def test_a_verified_supporter_is_a_verified_profile_in_the_list_and_on_their_page(
    organiser_client, campaign
):
    supporter = SupporterFactory(full_name="Jean Dupont", verified_at=timezone.now())
    signature = SignatureFactory(campaign=campaign, supporter=supporter, confirmed=True)
    client = french(organiser_client)

    listing = client.get("/organise/signatories/").content.decode()
    detail = client.get(f"/organise/signatories/{signature.pk}/").content.decode()

    assert '<html lang="fr"' in listing
    for html in (listing, detail):
        assert "Profil vérifié" in html
        assert ">Vérifiée<" not in html  # a man's profile was "vérifiée" before


def test_an_update_sent_and_published_is_feminine_and_its_emails_masculine_plural(
    organiser_client, campaign
):
    update = Update.objects.create(
        campaign=campaign,
        title_en="News",
        title_fr="Nouvelles",
        body_en="Hello",
        body_fr="Bonjour",
        status=Update.Status.SENT,
        sent_at=timezone.now(),
        is_published=True,
    )
    client = french(organiser_client)

    listing = client.get("/organise/updates/").content.decode()
    detail = client.get(f"/organise/updates/{update.pk}/").content.decode()

    assert "Envoyée" in listing and "Publiée" in listing
    assert "<dt>Envoyés</dt>" in detail and "<dt>Annulés</dt>" in detail


def test_each_status_agrees_with_its_noun():
    with translation.override("fr"):
        assert str(Invalidation.Status.CANCELLED.label) == "Annulée"  # une invalidation
        assert str(Invalidation.Status.DONE.label) == "Terminée"
        assert str(OutboundEmail.Status.CANCELLED.label) == "Annulé"  # un e-mail
        assert str(OutboundEmail.Status.SENT.label) == "Envoyé"
        assert str(Update.Status.SENT.label) == "Envoyée"  # une actualité
        assert str(ConsentRecord.Action.WITHDRAWN.label) == "Retiré"  # un consentement
        assert str(Signature.Status.WITHDRAWN.label) == "Retirée"  # une signature
        assert str(Signature.Status.CONFIRMED.label) == "Confirmée"
        assert str(Verification.Status.VERIFIED.label) == "Vérifiée"  # une vérification
