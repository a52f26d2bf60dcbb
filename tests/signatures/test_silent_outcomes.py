"""What a signer is told about a signature organisers hold or reject: the impersonation guard
may say why; any other hold says only that organisers check new signatures; a signature
rejected as fraudulent looks confirmed, as the issue on abuse asks (it never counts or shows)."""

from __future__ import annotations

import pytest
from django.test import Client

from signatures.models import Signature, name_hold_reason
from signatures.tokens import make_confirm_token
from tests.factories import SignatureFactory, UserFactory

pytestmark = pytest.mark.django_db


def thanks_page(client: Client, signature: Signature) -> str:
    return client.get(f"/en/sign/confirm/{make_confirm_token(signature)}/").content.decode()


@pytest.fixture
def pending(launched_campaign):
    return SignatureFactory(campaign=launched_campaign)


def test_a_name_hold_says_why(client, pending):
    pending.moderation, pending.hold_reason = "held", name_hold_reason("Björk")
    pending.save()
    page = thanks_page(client, pending)
    assert "closely resembles" in page and "Björk" not in page


def test_a_burst_hold_does_not_claim_a_name_resemblance(client, pending):
    pending.moderation, pending.hold_reason = "held", "Burst from 203.0.113.0/24"
    pending.save()
    page = thanks_page(client, pending)
    assert "closely resembles" not in page and "203.0.113" not in page
    assert "Organisers check new signatures" in page


def test_a_signature_rejected_as_fraud_gets_the_normal_thanks_page(client, pending):
    pending.moderation, pending.hold_reason = "rejected", "Blocked domain"
    pending.save()
    page = thanks_page(client, pending)
    assert "your name now stands with the artists" in page
    assert "review" not in page.lower() and "Blocked" not in page


def test_the_account_page_of_a_rejected_signature_says_only_that_it_is_confirmed(
    client, launched_campaign
):
    user = UserFactory()
    signature = SignatureFactory(
        campaign=launched_campaign, confirmed=True, moderation="rejected", supporter__user=user
    )
    signature.supporter.email = user.email
    signature.supporter.save()
    client.force_login(user)
    page = client.get("/en/account/").content.decode()
    assert "Your signature is confirmed." in page
    assert "waiting for you to confirm" not in page and "rejected" not in page.lower()
