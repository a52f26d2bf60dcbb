"""The audit trail: who sees it, its filters, its pages, and that nothing on it changes it."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from campaign.audit import audit
from campaign.models import AuditEvent
from organise.review import services
from organise.review.services import ModerationAction
from signatures.models import Signature
from tests.factories import SignatureFactory, SupporterFactory

from .conftest import make_person

pytestmark = pytest.mark.django_db

AUDIT = "/organise/audit/"


def event(action: str, *, days_ago: float = 0, **fields) -> AuditEvent:
    made = audit(action=action, **fields)
    when = timezone.now() - datetime.timedelta(days=days_ago)
    AuditEvent.objects.filter(pk=made.pk).update(created_at=when)
    return made


def codes(html: str) -> list[str]:
    """The action codes of the rows shown, in order."""
    return re.findall(r'<code class="bo-muted">([a-z0-9_.]+)</code>', html)


@pytest.mark.parametrize(
    ("role", "status"), [("Viewer", 403), ("Moderator", 200), ("Organiser", 200)]
)
def test_the_audit_trail_needs_its_own_permission(client_as, campaign, role, status):
    assert client_as(role).get(AUDIT).status_code == status


def test_a_moderation_shows_in_the_audit_trail_with_who_why_and_what_changed(client_as, campaign):
    signature = SignatureFactory(
        campaign=campaign, supporter=SupporterFactory(full_name="Held Person"), confirmed=True
    )
    Signature.objects.filter(pk=signature.pk).update(
        moderation="held", hold_reason="Name confusable with Someone"
    )
    client = client_as("Moderator")
    client.post(
        f"/organise/signatories/{signature.pk}/moderate/",
        {"action": "reject_held", "reason": "Same photo as an impostor account"},
    )

    html = client.get(AUDIT).content.decode()

    assert codes(html) == ["signature.rejected"]
    assert "Signature rejected" in html
    assert client.user.email in html
    assert "Held Person" in html
    assert "Same photo as an impostor account" in html
    assert "moderation: held → rejected" in html
    assert "hold_reason: Name confusable with Someone → —" in html


def test_the_audit_trail_is_newest_first_and_pages_by_keyset(client_as, campaign):
    for n in range(53):
        event(f"test.event{n:02d}", days_ago=n / 1000)
    client = client_as("Organiser")

    first = client.get(AUDIT).content.decode()
    assert len(codes(first)) == 50
    assert codes(first)[0] == "test.event00"
    after = re.search(r'href="\?after=([^"]+)" rel="next"', first).group(1)
    second = client.get(AUDIT, {"after": after}).content.decode()
    assert len(codes(second)) == 3
    assert not set(codes(first)) & set(codes(second))


def test_the_audit_trail_filters_by_action_family_person_supporter_and_dates(client_as, campaign):
    moderator = make_person("Moderator", email="mod.erator@example.org", username="moderator")
    supporter = SupporterFactory(full_name="Zoë Filtered")
    event("signature.rejected", actor=moderator, supporter=supporter, days_ago=1)
    event("signature.released", actor=moderator, days_ago=2)
    event("signature.held", supporter=supporter, days_ago=3)  # by the site
    event("verification.approved", actor=moderator, days_ago=20)
    client = client_as("Moderator")

    def shown(**query) -> list[str]:
        return codes(client.get(AUDIT, query).content.decode())

    assert shown(action="signature") == [
        "signature.rejected",
        "signature.released",
        "signature.held",
    ]
    assert shown(action="signature.released") == ["signature.released"]
    assert shown(who="mod.erator") == [
        "signature.rejected",
        "signature.released",
        "verification.approved",
    ]
    assert shown(automatic="on") == ["signature.held"]
    assert shown(supporter="zoe filtered") == ["signature.rejected", "signature.held"]
    assert shown(supporter=supporter.public_id) == ["signature.rejected", "signature.held"]
    since = (timezone.localdate() - datetime.timedelta(days=10)).isoformat()
    until = (timezone.localdate() - datetime.timedelta(days=2)).isoformat()
    assert shown(date_from=since, date_to=until) == ["signature.released", "signature.held"]
    assert shown(action="signature", who="mod.erator", supporter="zoe") == ["signature.rejected"]


def test_the_who_filter_finds_supporters_only_for_people_allowed_their_addresses(
    client_as, campaign
):
    supporter = SupporterFactory(email="secret.artist@example.org")
    own_account = make_person("", email="secret.artist@example.org", username="artist")
    supporter.user = own_account
    supporter.save()
    event("profile.updated", actor=own_account, supporter=supporter)

    assert codes(client_as("Moderator").get(AUDIT, {"who": "secret"}).content.decode()) == []
    organiser_page = client_as("Organiser").get(AUDIT, {"who": "secret"}).content.decode()
    assert codes(organiser_page) == ["profile.updated"]
    assert "The supporter" in organiser_page  # named by role, not by address
    assert "secret.artist@example.org" not in organiser_page


def test_a_bad_filter_keeps_what_was_typed_and_shows_the_mistake(client_as, campaign):
    event("signature.held")
    response = client_as("Moderator").get(AUDIT, {"date_from": "yesterday", "action": "sig"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid date." in html
    assert 'value="yesterday"' in html and 'value="sig"' in html


def test_the_audit_trail_offers_no_way_to_change_it(client_as, campaign):
    event("signature.held", reason="Kept for good")
    client = client_as("Organiser")
    html = client.get(AUDIT).content.decode()
    main = html[html.index("<main") :]

    assert "Kept for good" in html
    assert 'method="post"' not in main
    assert client.post(AUDIT).status_code == 405
    entry = AuditEvent.objects.get()
    with pytest.raises(ValueError):
        entry.delete()
    entry.reason = "Rewritten"
    with pytest.raises(ValueError):
        entry.save()


def test_every_bulk_change_is_one_audit_event_each(client_as, campaign):
    signatures = [SignatureFactory(campaign=campaign, confirmed=True) for _n in range(3)]
    services.moderate_signatures(
        action=ModerationAction.REJECT,
        signature_ids=[s.pk for s in signatures],
        actor=make_person("Moderator"),
        reason="Bot wave",
    )
    html = client_as("Moderator").get(AUDIT, {"action": "signature.rejected"}).content.decode()
    assert codes(html) == ["signature.rejected"] * 3
    assert html.count("Bot wave") == 3


def test_the_audit_trail_costs_the_same_queries_for_3_or_30_events(
    client_as, campaign, django_assert_max_num_queries
):
    client = client_as("Organiser")
    actor = make_person("Moderator")

    def add(count: int) -> None:
        for _n in range(count):
            event("signature.rejected", actor=actor, supporter=SupporterFactory(), reason="x")

    add(3)
    with django_assert_max_num_queries(12) as few:
        assert client.get(AUDIT, {"action": "signature"}).status_code == 200
    add(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(AUDIT, {"action": "signature"})
    assert len(codes(response.content.decode())) == 30
