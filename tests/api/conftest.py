"""A campaign whose supporters cover every case the API must show or hide, each with a known
email address so that a test can look for it in any answer."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from signatures.models import NameDisplay, Signature, Supporter
from signatures.services import refresh_signature_counts
from tests.factories import CampaignFactory, SignatureFactory, SupporterFactory

HIDDEN_STATES = ("hidden", "held", "rejected", "pending", "withdrawn")


@dataclass
class Cast:
    campaign: object
    listed: dict[str, Supporter] = field(default_factory=dict)
    unlisted: dict[str, Supporter] = field(default_factory=dict)

    @property
    def everyone(self) -> list[Supporter]:
        return [*self.listed.values(), *self.unlisted.values()]


def sign(campaign, *, minutes_ago: int = 0, status: str = "confirmed", **supporter) -> Signature:
    signature = SignatureFactory(
        campaign=campaign, supporter=SupporterFactory(**supporter), confirmed=True
    )
    Signature.objects.filter(pk=signature.pk).update(
        confirmed_at=timezone.now() - datetime.timedelta(minutes=minutes_ago), status=status
    )
    signature.refresh_from_db()
    return signature


@pytest.fixture
def cast(db) -> Cast:
    """Three listed supporters (one verified, with identifiers and links) and one supporter in
    each state the public must never see."""
    campaign = CampaignFactory(goal=5000)
    cast = Cast(campaign=campaign)
    cast.listed["ada"] = sign(
        campaign,
        minutes_ago=30,
        full_name="Ada Lovelace",
        email="ada.secret@example.org",
        field_of_work="writer",
        other_fields=["screenwriter"],
        country="GB",
        known_for="Notes on the Analytical Engine",
        link="https://ada.example/work",
        links=["https://ada.example/more"],
        isni="0000000121032683",
        wikidata_id="Q7259",
    ).supporter
    Supporter.objects.filter(pk=cast.listed["ada"].pk).update(
        verified_at=timezone.now() - datetime.timedelta(days=1), verification_method="link_back"
    )
    cast.listed["ada"].refresh_from_db()
    cast.listed["nina"] = sign(
        campaign,
        minutes_ago=20,
        full_name="Nina Simone",
        email="nina.secret@example.org",
        field_of_work="musician",
        country="US",
        name_display=NameDisplay.INITIAL,
    ).supporter
    cast.listed["jean"] = sign(
        campaign,
        minutes_ago=10,
        full_name="Jean Dupont",
        email="jean.secret@example.org",
        field_of_work="musician",
        country="FR",
    ).supporter
    cast.unlisted["hidden"] = sign(
        campaign,
        full_name="Hidden Henri",
        email="hidden.secret@example.org",
        name_display=NameDisplay.HIDDEN,
        country="FR",
    ).supporter
    held = sign(campaign, full_name="Held Hugo", email="held.secret@example.org")
    Signature.objects.filter(pk=held.pk).update(moderation="held")
    cast.unlisted["held"] = held.supporter
    rejected = sign(campaign, full_name="Rejected Rita", email="rejected.secret@example.org")
    Signature.objects.filter(pk=rejected.pk).update(moderation="rejected")
    cast.unlisted["rejected"] = rejected.supporter
    cast.unlisted["pending"] = SignatureFactory(
        campaign=campaign,
        supporter=SupporterFactory(full_name="Pending Paul", email="pending.secret@example.org"),
    ).supporter
    cast.unlisted["withdrawn"] = sign(
        campaign,
        full_name="Withdrawn Wanda",
        email="withdrawn.secret@example.org",
        status="withdrawn",
    ).supporter
    refresh_signature_counts()
    campaign.refresh_from_db()
    return cast


@pytest.fixture
def api_get(client):
    """GET an API path (under /api/v1/) from the test client."""

    def get(path: str, **headers):
        return client.get(f"/api/v1/{path.lstrip('/')}", headers=headers)

    return get
