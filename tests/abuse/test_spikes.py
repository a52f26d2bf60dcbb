"""Spike alerts: a burst from one address range or email domain is held for review with the
evidence, once; a burst that goes on extends its alert; released signatures stay released."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from abuse import spikes
from abuse.models import SigningContext, SpikeAlert
from abuse.services import add_list_entry, record_signing_context
from campaign.models import AuditEvent, Campaign
from signatures.models import Signature
from signatures.services import refresh_signature_counts
from tests.factories import SignatureFactory, SupporterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def thresholds(settings):
    settings.ABUSE_SPIKE_WINDOW_SECONDS = 600
    settings.ABUSE_SPIKE_IP_RANGE_THRESHOLD = 4
    settings.ABUSE_SPIKE_DOMAIN_THRESHOLD = 5
    return settings


_numbers = iter(range(10_000))


def signed(campaign, *, ip: str, domain: str = "", minutes_ago: float = 1, **kwargs):
    """A confirmed signature from ``ip`` (each at its own domain unless one is given)."""
    n = next(_numbers)
    domain = domain or f"home{n}.example"
    supporter = SupporterFactory(email=f"s{n}@{domain}", full_name=f"Signer Number{n}")
    signature = SignatureFactory(campaign=campaign, supporter=supporter, confirmed=True, **kwargs)
    record_signing_context(signature_id=signature.pk, ip=ip)
    SigningContext.objects.filter(pk=signature.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago)
    )
    return signature


def burst(campaign, count: int, *, first: int = 1, **kwargs) -> list[Signature]:
    return [signed(campaign, ip=f"203.0.113.{first + i}", **kwargs) for i in range(count)]


def count_of(campaign) -> int:
    refresh_signature_counts()
    return Campaign.objects.get(pk=campaign.pk).signature_count


def test_a_burst_from_one_range_is_held_with_its_evidence(campaign):
    burst(campaign, 5)
    bystander = signed(campaign, ip="198.51.100.1")
    assert count_of(campaign) == 6

    [alert] = spikes.detect_spikes()

    assert (alert.kind, alert.key) == ("ip_range", "203.0.113.0/24")
    assert alert.signature_count == alert.held_count == 5
    assert len(alert.sample_names) == 5 and alert.sample_names[0].startswith("Signer Number")
    held = Signature.objects.filter(moderation="held")
    assert held.count() == 5
    assert all(s.hold_reason.startswith("Burst from address range 203.0.113.0/24") for s in held)
    bystander.refresh_from_db()
    assert bystander.moderation == "ok"
    assert count_of(campaign) == 1
    event = AuditEvent.objects.get(action="abuse.spike_detected")
    assert event.data["key"] == "203.0.113.0/24" and len(event.data["held"]) == 5


def test_below_the_threshold_or_outside_the_window_nothing_happens(campaign):
    burst(campaign, 3)
    burst(campaign, 3, first=50, minutes_ago=30)  # an older burst, out of the window
    assert spikes.detect_spikes() == []
    assert not Signature.objects.filter(moderation="held").exists()


def test_running_twice_alerts_once(campaign):
    burst(campaign, 5)
    spikes.detect_spikes()
    assert spikes.detect_spikes() == []
    assert SpikeAlert.objects.count() == 1
    assert AuditEvent.objects.filter(action="abuse.spike_detected").count() == 1


def test_a_burst_that_goes_on_extends_its_alert(campaign):
    burst(campaign, 5)
    spikes.detect_spikes()
    late = signed(campaign, ip="203.0.113.99")
    [alert] = spikes.detect_spikes()
    assert SpikeAlert.objects.count() == 1
    assert (alert.signature_count, alert.held_count) == (6, 6)
    late.refresh_from_db()
    assert late.moderation == "held"


def test_a_released_signature_is_not_held_again(campaign):
    signatures = burst(campaign, 5)
    spikes.detect_spikes()
    Signature.objects.filter(pk=signatures[0].pk).update(moderation="ok", hold_reason="")
    spikes.detect_spikes()
    signatures[0].refresh_from_db()
    assert signatures[0].moderation == "ok"


def test_rejected_and_withdrawn_signatures_are_counted_but_not_held(campaign):
    signatures = burst(campaign, 5)
    Signature.objects.filter(pk=signatures[0].pk).update(moderation="rejected")
    Signature.objects.filter(pk=signatures[1].pk).update(status="withdrawn")
    [alert] = spikes.detect_spikes()
    assert (alert.signature_count, alert.held_count) == (5, 3)
    assert Signature.objects.get(pk=signatures[0].pk).moderation == "rejected"


def test_a_burst_from_one_email_domain(campaign):
    for i in range(5):
        signed(campaign, ip=f"192.0.{i}.1", domain="bots.example")
    [alert] = spikes.detect_spikes()
    assert (alert.kind, alert.key, alert.held_count) == ("domain", "bots.example", 5)


def test_large_providers_and_allowed_ranges_never_alert(campaign):
    for i in range(6):
        signed(campaign, ip=f"192.0.{i}.1", domain="gmail.com")
    add_list_entry(actor=None, kind="ip_range", verdict="allow", value="203.0.113.0/24")
    burst(campaign, 5)
    assert spikes.detect_spikes() == []


def test_held_signatures_land_in_the_review_queue_with_the_reason(campaign, client_as):
    burst(campaign, 5)
    spikes.detect_spikes()
    organiser = client_as("Organiser")
    held_page = organiser.get("/organise/held/").content.decode()
    assert "Burst from address range 203.0.113.0/24" in held_page
    alerts_page = organiser.get("/organise/abuse/spikes/").content.decode()
    assert "203.0.113.0/24" in alerts_page
    alert = SpikeAlert.objects.get()
    detail = organiser.get(f"/organise/abuse/spikes/{alert.pk}/").content.decode()
    assert "Signer Number" in detail


def test_the_beat_task_runs_detection(campaign):
    from abuse.tasks import detect_spikes

    burst(campaign, 5)
    detect_spikes.delay()
    assert SpikeAlert.objects.count() == 1
