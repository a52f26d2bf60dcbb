"""Moderation: each action, singly and in bulk, what it changes, what the public then sees,
and the audit event it leaves (who, why, before and after)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from campaign.models import AuditEvent, Campaign
from organise.review import services
from organise.review.services import ModerationAction, ModerationError
from signatures.models import Signature, Verification
from signatures.services import refresh_signature_counts
from tests.factories import CampaignFactory, SignatureFactory, SupporterFactory

from .conftest import make_person

pytestmark = pytest.mark.django_db

SIGNATORIES = "/organise/signatories/"
HELD = "/organise/held/"


@pytest.fixture(autouse=True)
def _no_public_page_cache(settings):
    """Public pages are rendered afresh here. (In production the page cache keeps a page
    for ``PUBLIC_PAGE_MAX_AGE_SECONDS`` at most; tests/campaign/test_public_cache.py.)"""
    settings.PUBLIC_PAGE_CACHE = False


@pytest.fixture
def moderator(campaign):
    return make_person("Moderator")


def confirmed(campaign, **supporter) -> Signature:
    return SignatureFactory(
        campaign=campaign, supporter=SupporterFactory(**supporter), confirmed=True
    )


def held(campaign, **supporter) -> Signature:
    signature = confirmed(campaign, **supporter)
    Signature.objects.filter(pk=signature.pk).update(
        moderation=Signature.Moderation.HELD, hold_reason="Name confusable with Famous Artist"
    )
    signature.refresh_from_db()
    return signature


def last_event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("id")


def public_count(campaign) -> int:
    return Campaign.objects.get(pk=campaign.pk).signature_count


def profile_url(signature) -> str:
    return f"/en/supporters/{signature.supporter.slug}/"


# --- Each action, through the service -------------------------------------------------------

A = ModerationAction
CASE = ("action", "start", "audit_action", "field", "before", "after")
SINGLE_CASES = [
    (A.RELEASE, "held", "signature.released", "moderation", "held", "ok"),
    (A.REJECT_HELD, "held", "signature.rejected", "moderation", "held", "rejected"),
    (A.REJECT, "ok", "signature.rejected", "moderation", "ok", "rejected"),
    (A.RESTORE, "rejected", "signature.restored", "moderation", "rejected", "ok"),
    (A.HIDE_COMMENT, "ok", "signature.comment_hidden", "comment_hidden", False, True),
    (A.SHOW_COMMENT, "hidden", "signature.comment_shown", "comment_hidden", True, False),
]


def starting_as(campaign, state: str) -> Signature:
    signature = confirmed(campaign)
    changes = {"comment": "Art is work."}
    if state in ("held", "rejected"):
        changes["moderation"] = state
    if state == "held":
        changes["hold_reason"] = "Name confusable with Famous Artist"
    if state == "hidden":
        changes["comment_hidden"] = True
    Signature.objects.filter(pk=signature.pk).update(**changes)
    signature.refresh_from_db()
    return signature


@pytest.mark.parametrize(
    ("action", "start", "audit_action", "field", "before", "after"), SINGLE_CASES
)
def test_each_action_changes_the_signature_and_leaves_an_audit_event(
    campaign, moderator, action, start, audit_action, field, before, after
):
    signature = starting_as(campaign, start)

    services.moderate_signature(
        action=action, signature_id=signature.pk, actor=moderator, reason="Checked by hand"
    )

    signature.refresh_from_db()
    assert getattr(signature, field) == after
    event = last_event(audit_action)
    assert event.actor == moderator
    assert event.supporter == signature.supporter
    assert event.reason == "Checked by hand"
    assert event.data["signature"] == signature.pk
    assert event.data["before"][field] == before
    assert event.data["after"][field] == after


@pytest.mark.parametrize(
    ("action", "start", "audit_action", "field", "before", "after"), SINGLE_CASES
)
def test_an_action_that_no_longer_applies_is_refused_and_changes_nothing(
    campaign, moderator, action, start, audit_action, field, before, after
):
    signature = starting_as(campaign, start)
    services.moderate_signature(
        action=action, signature_id=signature.pk, actor=moderator, reason="First"
    )
    events = AuditEvent.objects.count()

    with pytest.raises(ModerationError):
        services.moderate_signature(
            action=action, signature_id=signature.pk, actor=moderator, reason="Second"
        )

    assert AuditEvent.objects.count() == events


def test_feature_and_unfeature_a_signatory(campaign, moderator):
    signature = confirmed(campaign, full_name="Featured Person")

    services.moderate_signature(
        action=ModerationAction.FEATURE,
        signature_id=signature.pk,
        actor=moderator,
        reason="Opened the Paris screening",
    )
    signature.supporter.refresh_from_db()
    assert signature.supporter.is_featured
    event = last_event("supporter.featured")
    assert (event.actor, event.reason) == (moderator, "Opened the Paris screening")
    assert event.data == {"before": {"is_featured": False}, "after": {"is_featured": True}}

    services.moderate_signature(
        action=ModerationAction.UNFEATURE, signature_id=signature.pk, actor=moderator
    )
    signature.supporter.refresh_from_db()
    assert not signature.supporter.is_featured
    assert last_event("supporter.unfeatured").supporter == signature.supporter


def test_only_a_signature_that_counts_can_be_featured(campaign, moderator):
    signature = held(campaign)
    with pytest.raises(ModerationError):
        services.moderate_signature(
            action=ModerationAction.FEATURE, signature_id=signature.pk, actor=moderator
        )
    signature.supporter.refresh_from_db()
    assert not signature.supporter.is_featured


@pytest.mark.parametrize("action", [ModerationAction.REJECT, ModerationAction.REJECT_HELD])
def test_rejecting_needs_a_reason(campaign, moderator, action):
    signature = held(campaign)
    with pytest.raises(ModerationError, match="reason"):
        services.moderate_signature(
            action=action, signature_id=signature.pk, actor=moderator, reason="  "
        )
    signature.refresh_from_db()
    assert signature.moderation == Signature.Moderation.HELD


# --- Bulk -------------------------------------------------------------------------------------


def test_a_bulk_action_changes_each_valid_signature_and_skips_the_others(campaign, moderator):
    first, second = held(campaign), held(campaign)
    already_ok = confirmed(campaign)

    result = services.moderate_signatures(
        action=ModerationAction.RELEASE,
        signature_ids=[first.pk, second.pk, already_ok.pk, 999_999],
        actor=moderator,
        reason="Checked the list",
        campaign=campaign,
    )

    assert result == services.BulkResult(changed=2, skipped=2)
    assert set(
        Signature.objects.filter(moderation=Signature.Moderation.OK).values_list("pk", flat=True)
    ) == {first.pk, second.pk, already_ok.pk}
    events = AuditEvent.objects.filter(action="signature.released")
    assert sorted(event.data["signature"] for event in events) == [first.pk, second.pk]
    assert all(event.actor == moderator for event in events)
    assert all(event.reason == "Checked the list" for event in events)
    assert all(event.data["before"]["hold_reason"] for event in events)


@pytest.mark.parametrize(
    ("action", "audit_action"),
    [
        (ModerationAction.REJECT, "signature.rejected"),
        (ModerationAction.HIDE_COMMENT, "signature.comment_hidden"),
        (ModerationAction.FEATURE, "supporter.featured"),
    ],
)
def test_bulk_writes_one_audit_event_per_signature(campaign, moderator, action, audit_action):
    signatures = [starting_as(campaign, "ok") for _n in range(3)]
    services.moderate_signatures(
        action=action,
        signature_ids=[s.pk for s in signatures],
        actor=moderator,
        reason="Spam wave",
    )
    assert AuditEvent.objects.filter(action=audit_action, actor=moderator).count() == 3


def test_a_bulk_action_ignores_signatures_of_another_campaign(campaign, moderator):
    other = SignatureFactory(
        campaign=CampaignFactory(slug="another"),
        confirmed=True,
    )
    result = services.moderate_signatures(
        action=ModerationAction.REJECT,
        signature_ids=[other.pk],
        actor=moderator,
        reason="No",
        campaign=campaign,
    )
    assert result.changed == 0
    other.refresh_from_db()
    assert other.moderation == Signature.Moderation.OK


# --- What the public sees ---------------------------------------------------------------------


def test_a_rejected_signature_stops_counting_and_vanishes_then_comes_back_when_restored(
    client, client_as, campaign, django_capture_on_commit_callbacks
):
    fraud = confirmed(campaign, full_name="Fake Famous Name")
    with django_capture_on_commit_callbacks(execute=True):
        confirmed(campaign, full_name="Honest Artist")
        refresh_signature_counts()
    assert public_count(campaign) == 2
    assert client.get(profile_url(fraud)).status_code == 200
    moderator = client_as("Moderator")

    with django_capture_on_commit_callbacks(execute=True):
        response = moderator.post(
            f"{SIGNATORIES}{fraud.pk}/moderate/",
            {"action": "reject", "reason": "Not the real artist"},
        )
    assert response.status_code == 302
    assert public_count(campaign) == 1
    assert client.get(profile_url(fraud)).status_code == 404
    assert "Fake Famous Name" not in client.get("/en/supporters/").content.decode()
    assert client.get(f"/api/v1/supporters/{fraud.supporter.public_id}").status_code == 404
    assert "Fake Famous Name" not in client.get("/api/v1/supporters").content.decode()
    assert "Honest Artist" in client.get("/en/supporters/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        moderator.post(f"{SIGNATORIES}{fraud.pk}/moderate/", {"action": "restore"})
    assert public_count(campaign) == 2
    assert client.get(profile_url(fraud)).status_code == 200
    assert "Fake Famous Name" in client.get("/en/supporters/").content.decode()
    assert client.get(f"/api/v1/supporters/{fraud.supporter.public_id}").status_code == 200


def test_a_released_signature_counts_again(client_as, campaign, django_capture_on_commit_callbacks):
    signature = held(campaign)
    assert public_count(campaign) == 0
    with django_capture_on_commit_callbacks(execute=True):
        client_as("Moderator").post(f"{SIGNATORIES}{signature.pk}/moderate/", {"action": "release"})
    assert public_count(campaign) == 1


def test_a_hidden_comment_vanishes_from_the_public_profile_directory_and_api(
    client, client_as, campaign
):
    signature = confirmed(campaign, full_name="Outspoken Artist")
    Signature.objects.filter(pk=signature.pk).update(comment="Something offensive here.")
    assert "Something offensive here." in client.get(profile_url(signature)).content.decode()

    client_as("Moderator").post(
        f"{SIGNATORIES}{signature.pk}/moderate/", {"action": "hide_comment"}
    )

    for url in (
        profile_url(signature),
        "/en/supporters/",
        "/api/v1/supporters",
        f"/api/v1/supporters/{signature.supporter.public_id}",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert "Something offensive here." not in response.content.decode()
    assert "Outspoken Artist" in client.get(profile_url(signature)).content.decode()

    client_as("Moderator").post(
        f"{SIGNATORIES}{signature.pk}/moderate/", {"action": "show_comment"}
    )
    assert "Something offensive here." in client.get(profile_url(signature)).content.decode()


# --- Through the back office's pages ---------------------------------------------------------


def test_releasing_from_a_row_of_the_held_queue_goes_back_to_the_queue(client_as, campaign):
    signature = held(campaign)
    client = client_as("Moderator")
    queue = f"{HELD}?country=FR"

    response = client.post(
        f"{SIGNATORIES}{signature.pk}/moderate/", {"action": "release", "next": queue}
    )

    assert response.status_code == 302
    assert response["Location"] == queue
    signature.refresh_from_db()
    assert signature.moderation == Signature.Moderation.OK
    page = client.get(response["Location"]).content.decode()
    assert "The signature is released." in page


def test_rejecting_without_a_reason_shows_the_form_again_with_the_mistake(client_as, campaign):
    signature = held(campaign)
    client = client_as("Moderator")

    response = client.post(
        f"{SIGNATORIES}{signature.pk}/moderate/",
        {"action": "reject_held", "reason": "", "next": HELD},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Give a reason for rejecting" in html
    assert f'value="{HELD}"' in html  # still goes back to the queue afterwards
    signature.refresh_from_db()
    assert signature.moderation == Signature.Moderation.HELD


def test_a_decision_someone_else_already_took_gives_a_clear_message(client_as, campaign):
    signature = held(campaign)
    first, second = client_as("Moderator"), None
    first.post(f"{SIGNATORIES}{signature.pk}/moderate/", {"action": "release"})
    second = client_as("Organiser")  # another person, with the page still open

    response = second.post(
        f"{SIGNATORIES}{signature.pk}/moderate/",
        {"action": "reject_held", "reason": "Impostor"},
        follow=True,
    )

    assert response.status_code == 200
    assert "someone has already decided it" in response.content.decode()
    signature.refresh_from_db()
    assert signature.moderation == Signature.Moderation.OK


def test_a_next_address_off_the_back_office_is_ignored(client_as, campaign):
    signature = held(campaign)
    response = client_as("Moderator").post(
        f"{SIGNATORIES}{signature.pk}/moderate/",
        {"action": "release", "next": "https://evil.example/"},
    )
    assert response["Location"] == f"{SIGNATORIES}{signature.pk}/"


def test_bulk_action_keeps_the_filters_after_the_redirect(client_as, campaign):
    french = [confirmed(campaign, country="FR") for _n in range(2)]
    belgian = confirmed(campaign, country="BE")
    client = client_as("Moderator")
    query = "status=confirmed&country=FR&field_of_work=writer"

    response = client.post(
        f"{SIGNATORIES}bulk/?{query}",
        {"action": "feature", "signature": [s.pk for s in french]},
    )

    assert response.status_code == 302
    assert response["Location"] == f"{SIGNATORIES}?{query}"
    page = client.get(response["Location"]).content.decode()
    assert "2 signatures changed." in page
    assert 'value="FR" selected' in page  # the filters are still applied
    assert belgian.supporter.full_name not in page
    assert all(s.supporter.full_name in page for s in french)
    assert set(
        Signature.objects.filter(supporter__is_featured=True).values_list("pk", flat=True)
    ) == {s.pk for s in french}


def test_bulk_reports_what_it_skipped(client_as, campaign):
    one, two = held(campaign), confirmed(campaign)
    client = client_as("Moderator")
    response = client.post(
        f"{HELD}bulk/",
        {"action": "release", "signature": [one.pk, two.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "1 signature changed." in html
    assert "1 signature left as it was" in html


def test_a_bulk_form_with_a_mistake_keeps_the_ticks_and_what_was_typed(client_as, campaign):
    ticked, unticked = held(campaign), held(campaign)
    client = client_as("Moderator")

    response = client.post(
        f"{HELD}bulk/?country=FR",
        {"action": "reject_held", "reason": "", "signature": [ticked.pk]},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Give a reason for rejecting" in html
    assert f'value="{ticked.pk}" id="tick-{ticked.pk}" checked' in html
    assert f'value="{unticked.pk}" id="tick-{unticked.pk}">' in html
    assert Signature.objects.filter(moderation=Signature.Moderation.HELD).count() == 2

    nothing_ticked = client.post(f"{HELD}bulk/", {"action": "release"})
    assert nothing_ticked.status_code == 400
    assert "Tick at least one signature." in nothing_ticked.content.decode()


def test_tick_every_row_is_a_link_that_changes_nothing(client_as, campaign):
    signatures = [held(campaign) for _n in range(2)]
    html = client_as("Moderator").get(HELD, {"tick": "all"}).content.decode()
    for signature in signatures:
        assert f'value="{signature.pk}" id="tick-{signature.pk}" checked' in html
    assert Signature.objects.filter(moderation=Signature.Moderation.HELD).count() == 2


# --- Verification requests --------------------------------------------------------------------


def review_request(**supporter) -> Verification:
    return Verification.objects.create(
        supporter=SupporterFactory(**supporter),
        method=Verification.Method.REVIEW,
        evidence={"message": "My work", "links": ["https://me.example/"]},
    )


def test_approving_a_request_shows_the_badge_on_the_public_profile(client, client_as, campaign):
    verification = review_request(full_name="Real Artist")
    signature = SignatureFactory(
        campaign=campaign, supporter=verification.supporter, confirmed=True
    )
    moderator = client_as("Moderator")

    response = moderator.post(
        f"/organise/verifications/{verification.pk}/decide/",
        {"decision": "approve", "reason": "Wikidata matches"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("organise:verifications")
    verification.refresh_from_db()
    assert verification.status == Verification.Status.VERIFIED
    assert verification.decided_by == moderator.user
    event = last_event("verification.approved")
    assert (event.actor, event.reason) == (moderator.user, "Wikidata matches")
    assert event.data["before"] == {"status": "pending", "verified": False}
    assert event.data["after"] == {"status": "verified", "verified": True}
    assert "Verified artist" in client.get(profile_url(signature)).content.decode()


def test_refusing_a_request_needs_a_reason_the_artist_will_read(client_as, campaign):
    verification = review_request(full_name="Unproven Artist")
    client = client_as("Moderator")

    missing = client.post(
        f"/organise/verifications/{verification.pk}/decide/", {"decision": "refuse"}
    )
    assert missing.status_code == 400
    assert "Give a reason for refusing" in missing.content.decode()
    verification.refresh_from_db()
    assert verification.status == Verification.Status.PENDING

    client.post(
        f"/organise/verifications/{verification.pk}/decide/",
        {"decision": "refuse", "reason": "The links do not mention you"},
    )
    verification.refresh_from_db()
    assert verification.status == Verification.Status.REFUSED
    assert verification.reason == "The links do not mention you"
    assert last_event("verification.refused").reason == "The links do not mention you"


def test_a_request_decided_by_someone_else_gives_a_clear_message(client_as, campaign):
    verification = review_request()
    services.refuse_verification(
        verification_id=verification.pk, actor=make_person("Organiser"), reason="No"
    )

    response = client_as("Moderator").post(
        f"/organise/verifications/{verification.pk}/decide/",
        {"decision": "approve", "next": "/organise/verifications/?method=review"},
        follow=True,
    )

    assert response.status_code == 200
    assert "already been decided" in response.content.decode()
    verification.refresh_from_db()
    assert verification.status == Verification.Status.REFUSED


# --- Who may ----------------------------------------------------------------------------------


def test_viewers_posts_are_refused_and_change_nothing(client_as, campaign):
    signature = held(campaign)
    verification = review_request()
    viewer = client_as("Viewer")

    for url, data in (
        (f"{SIGNATORIES}{signature.pk}/moderate/", {"action": "release"}),
        (f"{SIGNATORIES}bulk/", {"action": "reject", "reason": "x", "signature": signature.pk}),
        (f"{HELD}bulk/", {"action": "release", "signature": signature.pk}),
        (f"/organise/verifications/{verification.pk}/decide/", {"decision": "approve"}),
    ):
        assert viewer.post(url, data).status_code == 403

    signature.refresh_from_db()
    verification.refresh_from_db()
    assert signature.moderation == Signature.Moderation.HELD
    assert verification.status == Verification.Status.PENDING
    assert not AuditEvent.objects.exclude(action="verification.requested").exists()


def test_action_addresses_only_take_posts(client_as, campaign):
    signature = held(campaign)
    client = client_as("Moderator")
    assert client.get(f"{SIGNATORIES}{signature.pk}/moderate/").status_code == 405
    assert client.get(f"{HELD}bulk/").status_code == 405
    assert client.post(HELD).status_code == 405  # the lists only read
    assert client.post(f"{SIGNATORIES}{signature.pk}/").status_code == 405


def test_a_bulk_change_asks_for_one_recount_only(campaign, moderator, monkeypatch):
    calls = []
    monkeypatch.setattr(services, "request_count_refresh", lambda: calls.append(1))
    signatures = [held(campaign) for _n in range(3)]
    Signature.objects.update(comment="A comment.")

    services.moderate_signatures(
        action=ModerationAction.RELEASE, signature_ids=[s.pk for s in signatures], actor=moderator
    )
    assert calls == [1]

    services.moderate_signatures(
        action=ModerationAction.HIDE_COMMENT,
        signature_ids=[s.pk for s in signatures],
        actor=moderator,
    )
    assert calls == [1]  # hiding comments changes no count
    assert AuditEvent.objects.filter(action="signature.comment_hidden").count() == 3
