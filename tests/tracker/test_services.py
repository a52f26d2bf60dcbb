"""The tracker's writes: a status is published only with a source and both languages, every
publication keeps the history, and a signatory's letter counts once."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from campaign.models import AuditEvent
from tests.factories import CompanyFactory, SupporterFactory, UserFactory, published_position
from tracker import services
from tracker.models import Assessment, Criterion, Revision, StatusChange, SupporterAction

pytestmark = pytest.mark.django_db


def test_the_three_demands_exist_as_fixed_criteria():
    core = Criterion.objects.filter(is_core=True).order_by("position")
    assert [c.code for c in core] == ["licensing", "opt-out", "human-creativity"]
    assert all(c.title_fr and c.description_fr for c in core)


def _draft(company, sources=True, summary_fr="Résumé.", status="made", actor=None):
    return services.draft_revision(
        company=company,
        criterion=Criterion.objects.get(code="licensing"),
        status=status,
        summary_en="Summary.",
        summary_fr=summary_fr,
        happened_on=datetime.date(2026, 2, 1),
        sources=[
            services.SourceData(
                url="https://news.example/a", title="A", published_on=datetime.date(2026, 2, 1)
            )
        ]
        if sources
        else [],
        actor=actor,
    )


def test_a_draft_with_a_source_and_both_languages_is_published():
    company = CompanyFactory(is_listed=False)
    organiser = UserFactory()
    revision = services.publish_revision(revision_id=_draft(company).pk, actor=organiser)
    assessment = Assessment.objects.get(company=company)
    assert assessment.published == revision
    assert revision.state == Revision.State.PUBLISHED and revision.reviewed_by == organiser
    company.refresh_from_db()
    assert company.is_listed
    change = StatusChange.objects.get(assessment=assessment)
    assert (change.from_status, change.to_status) == ("", "made")
    assert change.source.url == "https://news.example/a"
    event = AuditEvent.objects.filter(action="tracker.published").get()
    assert event.actor == organiser and event.data["to"] == "made"


@pytest.mark.parametrize(
    "draft_kwargs, message",
    [({"sources": False}, "source"), ({"summary_fr": ""}, "French")],
)
def test_a_draft_without_a_source_or_a_language_is_refused(draft_kwargs, message):
    company = CompanyFactory(is_listed=False)
    revision = _draft(company, **draft_kwargs)
    with pytest.raises(services.TrackerError, match=message):
        services.publish_revision(revision_id=revision.pk, actor=None)
    assert Assessment.objects.get(company=company).published is None
    assert not StatusChange.objects.exists()
    company.refresh_from_db()
    assert not company.is_listed


def test_an_edit_is_a_draft_until_published_and_history_keeps_every_change():
    company = CompanyFactory()
    first = published_position(company, status="made")
    draft = _draft(company, status="broken")
    assessment = Assessment.objects.get(company=company)
    assert assessment.published == first  # the public still sees the published entry
    services.publish_revision(revision_id=draft.pk, actor=None)
    assessment.refresh_from_db()
    first.refresh_from_db()
    assert assessment.published == draft and first.state == Revision.State.SUPERSEDED
    changes = list(StatusChange.objects.order_by("published_at", "id"))
    assert [(c.from_status, c.to_status) for c in changes] == [("", "made"), ("made", "broken")]
    # Republishing the same status (a new summary) is not a change of status.
    services.publish_revision(revision_id=_draft(company, status="broken").pk, actor=None)
    assert StatusChange.objects.count() == 2


def test_a_published_revision_cannot_be_published_or_returned_again():
    company = CompanyFactory()
    revision = published_position(company)
    with pytest.raises(services.TrackerError):
        services.publish_revision(revision_id=revision.pk, actor=None)
    with pytest.raises(services.TrackerError):
        services.return_revision(revision_id=revision.pk, note="no", actor=None)


def test_a_returned_draft_keeps_the_note():
    revision = _draft(CompanyFactory())
    services.return_revision(revision_id=revision.pk, note="Add an archive link.", actor=None)
    revision.refresh_from_db()
    assert revision.state == Revision.State.RETURNED
    assert revision.review_note == "Add an archive link."


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://files.example/x",
        "https://user:secret@news.example/",
        "https://news.example@evil.example/",
        "https://news.example/a b",
        "https://news.example/\x00",
        "//news.example/",
        "https://" + "a" * 500 + ".example/",
    ],
)
def test_hostile_source_addresses_are_refused(url):
    company = CompanyFactory()
    with pytest.raises(ValidationError):
        services.draft_revision(
            company=company,
            criterion=Criterion.objects.get(code="licensing"),
            status="made",
            summary_en="S",
            summary_fr="S",
            happened_on=datetime.date(2026, 1, 1),
            sources=[services.SourceData(url=url, title="t", published_on=datetime.date.today())],
            actor=None,
        )


def test_a_letter_counts_once_per_signatory():
    company = CompanyFactory()
    supporter = SupporterFactory()
    assert services.record_letter(company=company, supporter=supporter) is True
    assert services.record_letter(company=company, supporter=supporter) is False
    assert SupporterAction.objects.filter(company=company).count() == 1
    supporter.delete()  # an erased signatory leaves nothing behind
    assert not SupporterAction.objects.exists()


def test_a_deal_is_published_only_with_a_source_and_both_languages():
    company = CompanyFactory()
    fields = {
        "slug": "a-deal",
        "title_en": "A deal",
        "title_fr": "Un accord",
        "licensed_en": "Songs",
        "licensed_fr": "",
        "announced_on": datetime.date(2026, 1, 1),
    }
    deal = services.save_deal(deal=None, fields=fields, companies=[company], sources=[], actor=None)
    with pytest.raises(services.TrackerError, match="source"):
        services.publish_deal(deal_id=deal.pk, actor=None)
    source = services.SourceData(
        url="https://news.example/d", title="D", published_on=datetime.date(2026, 1, 1)
    )
    deal = services.save_deal(
        deal=deal, fields={}, companies=[company], sources=[source], actor=None
    )
    with pytest.raises(services.TrackerError, match="French"):
        services.publish_deal(deal_id=deal.pk, actor=None)
    deal = services.save_deal(
        deal=deal, fields={"licensed_fr": "Chansons"}, companies=[company], sources=None, actor=None
    )
    assert services.publish_deal(deal_id=deal.pk, actor=None).state == "published"
    # An edit to a published deal goes back to draft for review.
    deal = services.save_deal(
        deal=deal, fields={"title_en": "B"}, companies=[company], sources=None, actor=None
    )
    assert deal.state == "draft" and deal.sources.count() == 1
