"""Every write of the tracker. One transaction each; each back-office write leaves an entry in
the audit trail (who, what, about which company). Views check roles (``organise.roles``)
before calling these: a moderator drafts, an organiser publishes."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.audit import audit

from . import logos, selectors
from .models import (
    Assessment,
    Company,
    Criterion,
    Deal,
    Revision,
    Source,
    StatusChange,
    SupporterAction,
)


class TrackerError(Exception):
    """A write the tracker refuses; the message is for the person who asked."""


@dataclass(frozen=True)
class SourceData:
    url: str
    title: str
    published_on: datetime.date
    archive_url: str = ""


REMOVE_LOGO = object()


def _sources(items: Iterable[SourceData], **owner) -> list[Source]:
    rows = [
        Source(
            url=item.url,
            title=item.title,
            published_on=item.published_on,
            archive_url=item.archive_url,
            **owner,
        )
        for item in items
    ]
    for row in rows:
        row.full_clean(exclude=["revision", "deal"])
    return Source.objects.bulk_create(rows)


@transaction.atomic
def save_company(
    *, company: Company | None, fields: dict, logo: bytes | object | None = None, actor
) -> Company:
    """Create (``company=None``) or update a company. ``logo`` is the uploaded file's bytes
    (re-encoded by ``tracker.logos``; raises ``ValidationError`` when it is no picture),
    ``REMOVE_LOGO`` to drop it, ``None`` to keep it."""
    created = company is None
    company = company or Company()
    for name, value in fields.items():
        setattr(company, name, value)
    if logo is REMOVE_LOGO:
        company.logo_png, company.logo_version = None, ""
        company.logo_width = company.logo_height = None
    elif isinstance(logo, bytes):
        picture = logos.reencode(logo)
        company.logo_png, company.logo_version = picture.png, picture.version
        company.logo_width, company.logo_height = picture.width, picture.height
    company.full_clean()
    company.save()
    audit(
        action="tracker.company_created" if created else "tracker.company_changed",
        actor=actor,
        data={"company": company.slug, "fields": sorted(fields)},
    )
    return company


@transaction.atomic
def set_company_listed(*, company_id: int, listed: bool, actor) -> Company:
    """Show or hide a company on the public pages (its entries are kept)."""
    company = Company.objects.select_for_update().get(pk=company_id)
    company.is_listed = listed
    company.save(update_fields=["is_listed"])
    transaction.on_commit(selectors.refresh_figures)
    audit(
        action="tracker.company_listed" if listed else "tracker.company_unlisted",
        actor=actor,
        data={"company": company.slug},
    )
    return company


@transaction.atomic
def save_criterion(*, criterion: Criterion | None, fields: dict, actor) -> Criterion:
    """Create or edit an organiser-defined criterion; the three demands keep their code."""
    created = criterion is None
    criterion = criterion or Criterion()
    if criterion.is_core and ("code" in fields or fields.get("is_active") is False):
        raise TrackerError(_("The appeal's three demands cannot be renamed or hidden."))
    for name, value in fields.items():
        setattr(criterion, name, value)
    criterion.full_clean()
    criterion.save()
    audit(
        action="tracker.criterion_created" if created else "tracker.criterion_changed",
        actor=actor,
        data={"criterion": criterion.code},
    )
    return criterion


@transaction.atomic
def draft_revision(
    *,
    company: Company,
    criterion: Criterion,
    status: str,
    summary_en: str,
    summary_fr: str,
    happened_on: datetime.date,
    sources: Sequence[SourceData],
    actor,
) -> Revision:
    """A new draft for ``company`` × ``criterion`` (the public entry is unchanged until an
    organiser publishes it). Sources are validated (http(s) only, no credentials)."""
    assessment, _created = Assessment.objects.get_or_create(company=company, criterion=criterion)
    revision = Revision(
        assessment=assessment,
        status=status,
        summary_en=summary_en,
        summary_fr=summary_fr,
        happened_on=happened_on,
        created_by=actor,
    )
    revision.full_clean(exclude=["assessment", "created_by", "reviewed_by"])
    revision.save()
    _sources(sources, revision=revision)
    audit(
        action="tracker.drafted",
        actor=actor,
        data={
            "company": company.slug,
            "criterion": criterion.code,
            "revision": revision.pk,
            "status": status,
        },
    )
    return revision


def publication_problems(revision: Revision) -> list[str]:
    """Why ``revision`` cannot be published yet (empty when it can)."""
    problems = []
    if revision.state != Revision.State.DRAFT:
        problems.append(_("Only a draft can be published."))
    if not revision.sources.exists():
        problems.append(_("Add at least one source before publishing."))
    if not (revision.summary_en or "").strip() or not (revision.summary_fr or "").strip():
        problems.append(_("Write the summary in English and in French before publishing."))
    return problems


@transaction.atomic
def publish_revision(*, revision_id: int, actor) -> Revision:
    """Make a draft the public entry. The previously published revision is kept as history
    (superseded); a change of status is recorded for the timeline and the feed; the company
    becomes listed. Raises ``TrackerError`` without a source or a summary in both languages."""
    revision = Revision.objects.select_for_update().select_related("assessment").get(pk=revision_id)
    assessment = Assessment.objects.select_for_update().get(pk=revision.assessment_id)
    problems = publication_problems(revision)
    if problems:
        raise TrackerError(" ".join(problems))
    now = timezone.now()
    previous = assessment.published
    if previous is not None:
        Revision.objects.filter(pk=previous.pk).update(state=Revision.State.SUPERSEDED)
    revision.state = Revision.State.PUBLISHED
    revision.reviewed_at, revision.reviewed_by = now, actor
    revision.save(update_fields=["state", "reviewed_at", "reviewed_by"])
    assessment.published = revision
    assessment.save(update_fields=["published"])
    from_status = previous.status if previous else ""
    if from_status != revision.status:
        StatusChange.objects.create(
            assessment=assessment,
            revision=revision,
            from_status=from_status,
            to_status=revision.status,
            happened_on=revision.happened_on,
            published_at=now,
            source=revision.sources.order_by("-published_on", "id").first(),
        )
    Company.objects.filter(pk=assessment.company_id).update(is_listed=True)
    transaction.on_commit(selectors.refresh_figures)
    audit(
        action="tracker.published",
        actor=actor,
        data={
            "company_id": assessment.company_id,
            "criterion_id": assessment.criterion_id,
            "revision": revision.pk,
            "from": from_status,
            "to": revision.status,
        },
    )
    return revision


@transaction.atomic
def return_revision(*, revision_id: int, note: str, actor) -> Revision:
    """Send a draft back to its author with a note; it is never published."""
    revision = Revision.objects.select_for_update().get(pk=revision_id)
    if revision.state != Revision.State.DRAFT:
        raise TrackerError(_("Only a draft can be sent back."))
    revision.state = Revision.State.RETURNED
    revision.review_note = note[:500]
    revision.reviewed_at, revision.reviewed_by = timezone.now(), actor
    revision.save(update_fields=["state", "review_note", "reviewed_at", "reviewed_by"])
    audit(
        action="tracker.returned",
        actor=actor,
        reason=revision.review_note,
        data={"revision": revision.pk},
    )
    return revision


@transaction.atomic
def save_deal(
    *,
    deal: Deal | None,
    fields: dict,
    companies: Iterable[Company],
    sources: Sequence[SourceData] | None,
    actor,
) -> Deal:
    """Create or edit a licensing deal. Editing a published deal puts it back in draft, so
    that an organiser reviews the change before the public sees it. ``sources=None`` keeps
    the deal's sources; a list replaces them."""
    created = deal is None
    deal = deal or Deal()
    for name, value in fields.items():
        setattr(deal, name, value)
    deal.state = Deal.State.DRAFT
    deal.full_clean()
    deal.save()
    deal.companies.set(list(companies))
    if sources is not None:
        deal.sources.all().delete()
        _sources(sources, deal=deal)
    audit(
        action="tracker.deal_created" if created else "tracker.deal_changed",
        actor=actor,
        data={"deal": deal.slug},
    )
    return deal


@transaction.atomic
def publish_deal(*, deal_id: int, actor) -> Deal:
    """Show a deal publicly; refused without a source or without both languages."""
    deal = Deal.objects.select_for_update().get(pk=deal_id)
    if not deal.sources.exists():
        raise TrackerError(_("Add at least one source before publishing."))
    if not all((deal.title_en, deal.title_fr, deal.licensed_en, deal.licensed_fr)):
        raise TrackerError(_("Write the deal in English and in French before publishing."))
    deal.state = Deal.State.PUBLISHED
    deal.published_at = timezone.now()
    deal.save(update_fields=["state", "published_at"])
    audit(action="tracker.deal_published", actor=actor, data={"deal": deal.slug})
    return deal


def record_letter(*, company: Company, supporter) -> bool:
    """Count that ``supporter`` wrote to ``company``: once per person, whatever the number of
    clicks. Returns whether this click counted. Nothing else about the click is kept."""
    try:
        with transaction.atomic():
            SupporterAction.objects.create(company=company, supporter=supporter)
    except IntegrityError:
        return False
    return True
