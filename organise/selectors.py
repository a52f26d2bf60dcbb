"""Read queries of the back office as a whole: the campaign it runs, the front page's figures,
and the audit trail (keyset-paginated on (created_at, id), served by the index on
``AuditEvent.created_at``: a page costs the same few queries at any depth)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from campaign import keyset
from campaign.models import AuditEvent, Campaign, OutboundEmail
from signatures.models import Signature, Verification
from signatures.normalize import search_key

from .roles import Role

PAGE_SIZE = 50


def day_start(day: datetime.date) -> datetime.datetime:
    """The first moment of ``day`` in the site's time zone (for "from"/"until" date filters)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def backoffice_campaign() -> Campaign:
    """The campaign organisers run (``settings.CAMPAIGN_SLUG``), whatever its status."""
    return get_object_or_404(Campaign, slug=settings.CAMPAIGN_SLUG)


def supporter_matches(query: str, *, prefix: str) -> Q:
    """A supporter's public name (folded) or full name containing ``query``, or their public
    id exactly. Organisers look for the person, whatever name they chose to show."""
    folded = search_key(query)[:100]
    matches = Q(**{f"{prefix}public_id": query.strip()})
    if folded:
        matches |= Q(**{f"{prefix}search_name__contains": folded})
    return matches | Q(**{f"{prefix}full_name__icontains": query.strip()[:100]})


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


# --- The audit trail --------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    who: str = ""
    automatic_only: bool = False
    supporter: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None

    @property
    def is_active(self) -> bool:
        return any(
            value not in ("", None, False)
            for value in (
                self.action,
                self.who,
                self.automatic_only,
                self.supporter,
                self.date_from,
                self.date_to,
            )
        )


def audit_events(*, filters: AuditFilters, personal_data: bool = False) -> QuerySet[AuditEvent]:
    """Audit events matching ``filters``, with who did it and to whom.

    ``action`` matches exactly, or a whole family when it names one (``signature`` matches
    ``signature.rejected``, ``signature.released``…). ``who`` matches the actor's address or
    user name; without ``personal_data`` only people who run the appeal are matched, so that
    the filter cannot be used to find out a supporter's address."""
    queryset = AuditEvent.objects.select_related("actor", "supporter")
    if filters.action:
        action = filters.action.strip().rstrip(".")
        queryset = queryset.filter(Q(action=action) | Q(action__startswith=f"{action}."))
    if filters.automatic_only:
        queryset = queryset.filter(actor__isnull=True)
    elif filters.who:
        who = filters.who.strip()
        queryset = queryset.filter(
            Q(actor__email__icontains=who) | Q(actor__username__icontains=who)
        )
        if not personal_data:
            queryset = queryset.filter(_runs_the_appeal())
    if filters.supporter:
        queryset = queryset.filter(supporter_matches(filters.supporter, prefix="supporter__"))
    if filters.date_from:
        queryset = queryset.filter(created_at__gte=day_start(filters.date_from))
    if filters.date_to:
        next_day = filters.date_to + datetime.timedelta(days=1)
        queryset = queryset.filter(created_at__lt=day_start(next_day))
    return queryset


def _runs_the_appeal() -> Q:
    in_a_role = get_user_model().groups.through.objects.filter(
        user_id=OuterRef("actor_id"), group__name__in=[role.value for role in Role]
    )
    return Q(actor__is_staff=True) | Q(actor__is_superuser=True) | Exists(in_a_role)


def audit_page(
    *, filters: AuditFilters, cursor: str = "", personal_data: bool = False
) -> keyset.Page:
    """One page of the audit trail, newest first."""
    return keyset.page(
        audit_events(filters=filters, personal_data=personal_data),
        cursor=cursor,
        size=PAGE_SIZE,
        newest_first=True,
    )
