"""Read queries of the back office: the dashboard's figures and the signatory list's filters
(shared by the lists, the bulk actions and the CSV export)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from campaign import keyset
from campaign.models import Campaign, OutboundEmail
from signatures.models import Signature, Verification
from signatures.normalize import email_key, search_key

PAGE_SIZE = 50


@dataclass(frozen=True)
class SignatoryFilters:
    """What an organiser filters the signatories by; every field optional."""

    query: str = ""
    status: str = ""
    moderation: str = ""
    field_of_work: str = ""
    country: str = ""
    verified: bool | None = None
    source: str = ""
    signed_from: datetime.date | None = None
    signed_to: datetime.date | None = None

    @property
    def is_active(self) -> bool:
        return any(
            value not in ("", None)
            for value in (
                self.query,
                self.status,
                self.moderation,
                self.field_of_work,
                self.country,
                self.verified,
                self.source,
                self.signed_from,
                self.signed_to,
            )
        )


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def signatories(
    *,
    campaign: Campaign,
    filters: SignatoryFilters,
    search_emails: bool = False,
    search_full_names: bool = False,
) -> QuerySet[Signature]:
    """Every signature of ``campaign`` (any status) matching ``filters``, with its signer,
    newest first. The query matches the public name; with ``search_emails`` also an exact email
    address, with ``search_full_names`` also the full name of people who hid theirs (only for
    people allowed to see them)."""
    queryset = Signature.objects.filter(campaign=campaign).select_related("supporter")
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.moderation:
        queryset = queryset.filter(moderation=filters.moderation)
    if filters.field_of_work:
        queryset = queryset.filter(supporter__field_of_work=filters.field_of_work)
    if filters.country:
        queryset = queryset.filter(supporter__country=filters.country)
    if filters.verified is not None:
        queryset = queryset.filter(supporter__verified_at__isnull=not filters.verified)
    if filters.source:
        queryset = queryset.filter(source=filters.source)
    if filters.signed_from:
        queryset = queryset.filter(created_at__gte=_day_start(filters.signed_from))
    if filters.signed_to:
        next_day = filters.signed_to + datetime.timedelta(days=1)
        queryset = queryset.filter(created_at__lt=_day_start(next_day))
    if filters.query:
        queryset = _search(
            queryset,
            filters.query,
            search_emails=search_emails,
            search_full_names=search_full_names,
        )
    return queryset.order_by("-created_at", "-id")


def _search(
    queryset: QuerySet[Signature], query: str, *, search_emails: bool, search_full_names: bool
) -> QuerySet:
    folded = search_key(query)[:100]
    matches = Q(supporter__search_name__contains=folded) if folded else Q(pk__in=[])
    if search_full_names and query.strip():
        matches |= Q(supporter__full_name__icontains=query.strip()[:100])
    if search_emails and "@" in query:
        matches |= Q(supporter__email_key=email_key(query.strip()))
    return queryset.filter(matches)


def signatory_page(
    *, queryset: QuerySet[Signature], cursor: str = "", size: int = PAGE_SIZE
) -> keyset.Page[Signature]:
    """One page of ``queryset`` (from ``signatories``), newest first, after ``cursor``."""
    return keyset.page(queryset, cursor=cursor, size=size)


@dataclass(frozen=True)
class Dashboard:
    confirmed_today: int
    confirmed_this_week: int
    confirmed_total: int
    pending_confirmation: int
    held: int
    verification_requests: int
    emails_queued: int
    emails_failed_last_day: int

    @property
    def awaiting_review(self) -> int:
        return self.held + self.verification_requests


def dashboard(*, campaign: Campaign, now: datetime.datetime | None = None) -> Dashboard:
    """The figures on the back office's front page, in three queries."""
    now = now or timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    week_start = today - datetime.timedelta(days=today.weekday())
    counted = Q(status=Signature.Status.CONFIRMED, moderation=Signature.Moderation.OK)
    signatures = Signature.objects.filter(campaign=campaign).aggregate(
        today=Count("pk", filter=counted & Q(confirmed_at__gte=today)),
        week=Count("pk", filter=counted & Q(confirmed_at__gte=week_start)),
        total=Count("pk", filter=counted),
        pending=Count("pk", filter=Q(status=Signature.Status.PENDING)),
        held=Count("pk", filter=Q(moderation=Signature.Moderation.HELD)),
    )
    emails = OutboundEmail.objects.aggregate(
        queued=Count("pk", filter=Q(status=OutboundEmail.Status.QUEUED)),
        failed=Count(
            "pk",
            filter=Q(
                status=OutboundEmail.Status.FAILED,
                updated_at__gte=now - datetime.timedelta(days=1),
            ),
        ),
    )
    return Dashboard(
        confirmed_today=signatures["today"],
        confirmed_this_week=signatures["week"],
        confirmed_total=signatures["total"],
        pending_confirmation=signatures["pending"],
        held=signatures["held"],
        verification_requests=Verification.objects.filter(
            status=Verification.Status.PENDING
        ).count(),
        emails_queued=emails["queued"],
        emails_failed_last_day=emails["failed"],
    )


def backoffice_campaign() -> Campaign:
    """The campaign organisers run (``settings.CAMPAIGN_SLUG``), whatever its status."""
    from django.conf import settings
    from django.shortcuts import get_object_or_404

    return get_object_or_404(Campaign, slug=settings.CAMPAIGN_SLUG)
