"""Retention by the nightly tasks, with the clock moved forward: what goes, what stays, and a
second run that changes nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from campaign.models import AuditEvent, OutboundEmail
from consent.models import ConsentRecord
from signatures import tasks
from signatures.models import Signature, Supporter
from signatures.services import privacy
from signatures.services.retention import blank_old_emails, delete_unconfirmed_signatures

from .conftest import EMAIL, rows_mentioning

pytestmark = pytest.mark.django_db


def _signatures() -> set[str]:
    return set(Signature.objects.values_list("supporter__email", flat=True))


def test_unconfirmed_signatures_go_after_thirty_days_with_their_signer(campaign, sign_up, clock):
    sign_up(confirm=False)  # Zoë never confirms
    sign_up(email="confirmed@example.org", full_name="Kept Confirmed")
    clock.travel(days=29, hours=23)
    sign_up(confirm=False, email="late@example.org", full_name="Late Signer")
    tasks.delete_unconfirmed_signatures.delay()
    assert _signatures() == {EMAIL, "confirmed@example.org", "late@example.org"}

    clock.travel(hours=2)
    tasks.delete_unconfirmed_signatures.delay()
    assert _signatures() == {"confirmed@example.org", "late@example.org"}
    assert not Supporter.objects.filter(email=EMAIL).exists()
    assert rows_mentioning(EMAIL, "Quillfeather") == []
    # The late signer's emails and consent records are untouched.
    assert OutboundEmail.objects.filter(recipient="late@example.org").exists()
    assert ConsentRecord.objects.filter(supporter__email="late@example.org").count() == 3
    event = AuditEvent.objects.get(action="retention.unconfirmed_deleted")
    assert event.data == {"signatures": 1, "supporters": 1}

    assert delete_unconfirmed_signatures().signatures == 0  # a second run changes nothing
    assert AuditEvent.objects.filter(action="retention.unconfirmed_deleted").count() == 1


def test_a_fresh_link_sent_late_keeps_the_signature_until_it_too_is_old(campaign, sign_up, clock):
    signature = sign_up(confirm=False)
    clock.travel(days=25)
    Signature.objects.filter(pk=signature.pk).update(last_email_at=timezone.now())
    clock.travel(days=10)
    assert delete_unconfirmed_signatures().signatures == 0
    clock.travel(days=21)
    assert delete_unconfirmed_signatures().signatures == 1


def test_a_signer_with_an_account_or_another_signature_stays(campaign, sign_up, clock, settings):
    from tests.factories import CampaignFactory

    signature = sign_up()
    other = CampaignFactory(slug="second-appeal")
    Signature.objects.create(
        campaign=other,
        supporter=signature.supporter,
        language="en",
        agreed_at=timezone.now(),
        consent_version=settings.CONSENT_VERSION,
        consent_recorded_at=timezone.now(),
    )
    clock.travel(days=31)
    result = delete_unconfirmed_signatures()
    assert (result.signatures, result.supporters) == (1, 0)
    assert Supporter.objects.get(pk=signature.supporter_id).signatures.get() == signature


def test_the_period_follows_the_setting(campaign, sign_up, clock, settings):
    settings.UNCONFIRMED_RETENTION_DAYS = 3
    sign_up(confirm=False)
    clock.travel(days=2)
    assert delete_unconfirmed_signatures().signatures == 0
    clock.travel(days=2)
    assert delete_unconfirmed_signatures().signatures == 1


def test_old_emails_lose_their_address_and_contents_but_keep_their_trace(campaign, sign_up, clock):
    sign_up()  # a confirmation email, sent
    sent = OutboundEmail.objects.get(kind="confirm_signature")
    assert sent.status == OutboundEmail.Status.SENT
    queued = OutboundEmail.objects.create(
        recipient="waiting@example.org",
        language="en",
        kind="update",
        subject="Still waiting",
        text_body="Hello",
        message_id="<queued@example.org>",
        dedup_key="queued-one",
    )
    clock.travel(days=89)
    fresh = OutboundEmail.objects.create(
        recipient="recent@example.org",
        language="en",
        kind="update",
        subject="Recent",
        text_body="Hello",
        message_id="<recent@example.org>",
        dedup_key="recent-one",
        status=OutboundEmail.Status.SENT,
    )
    assert blank_old_emails() == 0
    clock.travel(days=1, minutes=1)
    tasks.blank_old_outbox_bodies.delay()

    sent.refresh_from_db()
    assert sent.recipient == privacy.ERASED
    assert (sent.subject, sent.text_body, sent.html_body, sent.headers) == ("", "", "", {})
    assert sent.status == OutboundEmail.Status.SENT and sent.kind == "confirm_signature"
    assert sent.sent_at and sent.message_id and sent.created_at
    # A message that has not left yet, and a recent one, are left alone.
    queued.refresh_from_db()
    fresh.refresh_from_db()
    assert queued.text_body == "Hello" and fresh.recipient == "recent@example.org"
    assert blank_old_emails() == 0
