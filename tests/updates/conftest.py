"""Fixtures for updates: a campaign whose signatories cover every case an update must tell
apart, and updates written in both languages."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.utils import timezone

from signatures.models import Signature
from tests.factories import CampaignFactory, SignatureFactory, SupporterFactory
from tests.organise.conftest import client_as, log_in, make_person  # noqa: F401 (fixture)
from updates.models import Update


def make_update(campaign, **fields) -> Update:
    values = {
        "title_en": "The appeal reaches Brussels",
        "title_fr": "L'appel arrive à Bruxelles",
        "body_en": "We met **members of Parliament**. [Read more](https://example.org/en).",
        "body_fr": "Nous avons rencontré **des députés**. [Lire la suite](https://example.org/fr).",
    }
    return Update.objects.create(campaign=campaign, **(values | fields))


@dataclass
class Audience:
    """One signature per case; only ``english`` and ``french`` should ever get an update."""

    english: Signature
    french: Signature
    pending: Signature
    withdrawn: Signature
    rejected: Signature
    held: Signature
    no_consent: Signature
    unsubscribed: Signature
    other_campaign: Signature

    @property
    def everyone(self) -> list[Signature]:
        return list(vars(self).values())


def consenting_signature(campaign, email: str, **fields) -> Signature:
    values = {"confirmed": True, "wants_updates": True}
    return SignatureFactory(
        campaign=campaign,
        supporter=SupporterFactory(email=email, full_name=email.split("@")[0].title()),
        **(values | fields),
    )


@pytest.fixture
def campaign(db):
    return CampaignFactory()


@pytest.fixture
def audience(campaign) -> Audience:
    other = CampaignFactory(slug="another-appeal")
    return Audience(
        english=consenting_signature(campaign, "english@example.org", language="en"),
        french=consenting_signature(campaign, "french@example.org", language="fr"),
        pending=consenting_signature(campaign, "pending@example.org", confirmed=False),
        withdrawn=consenting_signature(
            campaign, "withdrawn@example.org", status="withdrawn", withdrawn_at=timezone.now()
        ),
        rejected=consenting_signature(campaign, "rejected@example.org", moderation="rejected"),
        held=consenting_signature(campaign, "held@example.org", moderation="held"),
        no_consent=consenting_signature(campaign, "quiet@example.org", wants_updates=False),
        unsubscribed=consenting_signature(
            campaign, "gone@example.org", updates_unsubscribed_at=timezone.now()
        ),
        other_campaign=consenting_signature(other, "elsewhere@example.org"),
    )


@pytest.fixture
def update(campaign) -> Update:
    return make_update(campaign)


@pytest.fixture
def organiser_client(client, campaign):
    """A client logged in as an Organiser, second factor passed."""
    client.user = make_person("Organiser")
    return log_in(client, client.user)
