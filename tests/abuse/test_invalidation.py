"""Bulk invalidation: a preview counts what would be hit; the job runs in chunks, can be
cancelled mid-way and undone exactly; every step is audited and the public count follows."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from abuse import invalidation
from abuse.models import Invalidation
from abuse.selectors import Criteria, matching_signatures, preview
from abuse.services import record_signing_context
from campaign.models import AuditEvent, Campaign
from signatures.models import Signature
from signatures.services import refresh_signature_counts
from tests.factories import SignatureFactory, SupporterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_chunks(settings):
    settings.ABUSE_INVALIDATION_CHUNK = 2


def signature(campaign, *, name="Ada Lovelace", email="", ip="", country="FR", **kwargs):
    supporter = SupporterFactory(
        full_name=name, country=country, **({"email": email} if email else {})
    )
    made = SignatureFactory(campaign=campaign, supporter=supporter, confirmed=True, **kwargs)
    if ip:
        record_signing_context(signature_id=made.pk, ip=ip)
    return made


@pytest.fixture
def crowd(campaign):
    """Five bots from one range at one domain, among real signers; one bot already held."""
    bots = [
        signature(
            campaign, name=f"Bot Number{i}", email=f"bot{i}@bots.example", ip=f"203.0.113.{i}"
        )
        for i in range(5)
    ]
    Signature.objects.filter(pk=bots[4].pk).update(moderation="held", hold_reason="Name check")
    people = [
        signature(campaign, name="Grace Hopper", email="grace@example.org", ip="198.51.100.1"),
        signature(campaign, name="Björk Guðmundsdóttir", country="IS", ip="203.0.114.9"),
    ]
    refresh_signature_counts()
    return {"bots": bots, "people": people}


def count_of(campaign) -> int:
    refresh_signature_counts()
    return Campaign.objects.get(pk=campaign.pk).signature_count


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        (Criteria(ip_range="203.0.113.0/24"), 5),
        (Criteria(ip_range="203.0.113.0/30"), 4),
        (Criteria(ip_range="203.0.0.0/16"), 6),
        (Criteria(domain="bots.example"), 5),
        (Criteria(domain="example"), 5),  # a parent domain
        (Criteria(name_pattern="bot*"), 5),
        (Criteria(name_pattern="BOT NUMBER?"), 5),
        (Criteria(name_pattern="bjork*"), 1),  # accents and case folded
        (Criteria(country="IS"), 1),
        (Criteria(ip_range="203.0.113.0/24", name_pattern="*3"), 1),
        (Criteria(), 0),  # nothing chosen matches nothing
    ],
)
def test_the_selection(campaign, crowd, criteria, expected):
    assert matching_signatures(campaign=campaign, criteria=criteria).count() == expected


def test_the_time_window(campaign, crowd):
    old = crowd["people"][0]
    Signature.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3)
    )
    recent = Criteria(signed_from=timezone.now() - datetime.timedelta(days=1))
    older = Criteria(signed_to=timezone.now() - datetime.timedelta(days=1))
    assert matching_signatures(campaign=campaign, criteria=recent).count() == 6
    assert list(matching_signatures(campaign=campaign, criteria=older)) == [old]


def test_preview_then_run_then_undo(campaign, crowd, django_capture_on_commit_callbacks):
    criteria = Criteria(ip_range="203.0.113.0/24")
    seen = preview(campaign=campaign, criteria=criteria)
    assert seen.count == 5 and len(seen.sample) == 5
    assert count_of(campaign) == 6

    with django_capture_on_commit_callbacks(execute=True):
        job = invalidation.start(campaign=campaign, criteria=criteria, reason="Bots", actor=None)
    job.refresh_from_db()
    assert job.status == Invalidation.Status.DONE
    assert (job.expected_count, job.changed_count) == (5, 5)
    assert set(Signature.objects.filter(moderation="rejected").values_list("pk", flat=True)) == {
        bot.pk for bot in crowd["bots"]
    }
    assert count_of(campaign) == 2

    with django_capture_on_commit_callbacks(execute=True):
        invalidation.undo(invalidation_id=job.pk, actor=None)
    job.refresh_from_db()
    assert (job.status, job.restored_count) == (Invalidation.Status.UNDONE, 5)
    # Exactly as before: four counted bots, the fifth held again with its own reason.
    assert count_of(campaign) == 6
    held = Signature.objects.get(pk=crowd["bots"][4].pk)
    assert (held.moderation, held.hold_reason) == ("held", "Name check")
    actions = list(
        AuditEvent.objects.filter(action__startswith="abuse.invalidation").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == sorted(
        [
            "abuse.invalidation_started",
            "abuse.invalidation_finished",
            "abuse.invalidation_undo_started",
            "abuse.invalidation_undone",
        ]
    )


def test_cancel_mid_way_keeps_what_was_done_and_undo_restores_it(
    campaign, crowd, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # no worker yet
        job = invalidation.start(
            campaign=campaign, criteria=Criteria(domain="bots.example"), reason="Bots", actor=None
        )
    assert invalidation.run_chunk(invalidation_id=job.pk) is True  # one chunk of two
    invalidation.cancel(invalidation_id=job.pk, actor=None)
    assert invalidation.run_chunk(invalidation_id=job.pk) is False
    job.refresh_from_db()
    assert (job.status, job.changed_count) == (Invalidation.Status.CANCELLED, 2)
    assert Signature.objects.filter(moderation="rejected").count() == 2
    assert AuditEvent.objects.filter(action="abuse.invalidation_cancelled").exists()
    with pytest.raises(invalidation.InvalidationError):
        invalidation.cancel(invalidation_id=job.pk, actor=None)

    with django_capture_on_commit_callbacks(execute=True):
        invalidation.undo(invalidation_id=job.pk, actor=None)
    assert not Signature.objects.filter(moderation="rejected").exists()
    assert count_of(campaign) == 6


def test_a_chunk_run_twice_changes_nothing_twice(
    campaign, crowd, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job = invalidation.start(
            campaign=campaign, criteria=Criteria(domain="bots.example"), reason="Bots", actor=None
        )
    while invalidation.run_chunk(invalidation_id=job.pk):
        pass
    assert invalidation.run_chunk(invalidation_id=job.pk) is False
    job.refresh_from_db()
    assert job.changes.count() == job.changed_count == 5


def test_signatures_made_after_confirmation_are_never_swept_up(
    campaign, crowd, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job = invalidation.start(
            campaign=campaign, criteria=Criteria(domain="bots.example"), reason="Bots", actor=None
        )
    late = signature(campaign, email="late@bots.example")
    while invalidation.run_chunk(invalidation_id=job.pk):
        pass
    late.refresh_from_db()
    assert late.moderation == "ok"


def test_undo_leaves_alone_what_an_organiser_decided_since(
    campaign, crowd, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = invalidation.start(
            campaign=campaign, criteria=Criteria(domain="bots.example"), reason="Bots", actor=None
        )
    decided = crowd["bots"][0]
    Signature.objects.filter(pk=decided.pk).update(hold_reason="Rejected by hand: a real bot")
    with django_capture_on_commit_callbacks(execute=True):
        invalidation.undo(invalidation_id=job.pk, actor=None)
    job.refresh_from_db()
    assert job.restored_count == 4
    assert Signature.objects.get(pk=decided.pk).moderation == "rejected"


def test_an_empty_selection_cannot_start(campaign):
    with pytest.raises(invalidation.InvalidationError):
        invalidation.start(campaign=campaign, criteria=Criteria(), reason="All", actor=None)


# --- Through the back office ------------------------------------------------------------------


def test_the_organiser_previews_confirms_watches_and_undoes(
    campaign, crowd, client_as, django_capture_on_commit_callbacks
):
    organiser = client_as("Organiser")
    page = organiser.get("/organise/abuse/invalidations/", {"ip_range": "203.0.113.0/24"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "5 signatures would be rejected" in html
    assert "Bot Number" in html
    assert not Invalidation.objects.exists()  # a preview changes nothing

    with django_capture_on_commit_callbacks(execute=False):
        confirmed = organiser.post(
            "/organise/abuse/invalidations/",
            {"ip_range": "203.0.113.0/24", "reason": "Bots from one range"},
        )
    job = Invalidation.objects.get()
    assert confirmed["Location"] == f"/organise/abuse/invalidations/{job.pk}/"
    assert job.created_by == organiser.user
    assert AuditEvent.objects.get(action="abuse.invalidation_started").actor == organiser.user

    progress = organiser.get(confirmed["Location"]).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in progress  # refreshes itself, no script
    assert "Cancel" in progress

    invalidation.run_chunk(invalidation_id=job.pk)
    organiser.post(f"/organise/abuse/invalidations/{job.pk}/cancel/")
    while invalidation.run_chunk(invalidation_id=job.pk):
        pass
    finished = organiser.get(confirmed["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in finished
    assert "Undo: restore 2 signatures" in finished

    with django_capture_on_commit_callbacks(execute=True):
        organiser.post(f"/organise/abuse/invalidations/{job.pk}/undo/")
    job.refresh_from_db()
    assert job.status == Invalidation.Status.UNDONE and job.undone_by == organiser.user
    assert not Signature.objects.filter(moderation="rejected").exists()


def test_confirming_needs_a_reason_and_a_criterion(campaign, crowd, client_as):
    organiser = client_as("Organiser")
    no_reason = organiser.post("/organise/abuse/invalidations/", {"domain": "bots.example"})
    nothing = organiser.post("/organise/abuse/invalidations/", {"reason": "Everything"})
    assert no_reason.status_code == nothing.status_code == 400
    assert not Invalidation.objects.exists()
