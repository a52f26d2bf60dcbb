"""Read queries of updates (who an update reaches, how its sending goes, the news pages) and
of the back office's failed-email view."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404

from campaign import keyset
from campaign.models import Campaign, OutboundEmail
from signatures.models import Signature

from . import tokens
from .models import LANGUAGE_CODES, Update, UpdateRecipient

PAGE_SIZE = 50
NEWS_PAGE_SIZE = 20
# A sending update nothing has worked on for this long has lost its task (a paced run checks
# in at least every ``services.PACE_WAIT_SECONDS``).
STALLED_AFTER = datetime.timedelta(minutes=10)


# --- Who an update reaches -----------------------------------------------------------------


def audience(*, campaign: Campaign) -> QuerySet[Signature]:
    """Every signature of ``campaign`` an update goes to: confirmed and counted (not held,
    not rejected), whose signer asked for updates and has not unsubscribed since."""
    return Signature.objects.counted().filter(
        campaign=campaign, wants_updates=True, updates_unsubscribed_at__isnull=True
    )


def audience_by_language(*, campaign: Campaign) -> dict[str, int]:
    """How many people an update would reach now, per site language (in one query); a
    signature in a language the site no longer speaks gets the default language."""
    counts = {code: 0 for code in LANGUAGE_CODES}
    rows = audience(campaign=campaign).values("language").annotate(n=Count("pk")).order_by()
    for row in rows:
        code = row["language"] if row["language"] in counts else settings.LANGUAGE_CODE
        counts[code] += row["n"]
    return counts


def newest_signature_id(*, campaign: Campaign) -> int:
    return Signature.objects.filter(campaign=campaign).aggregate(newest=Max("pk"))["newest"] or 0


def next_recipients(*, update: Update, size: int) -> list[Signature]:
    """The next ``size`` signatures ``update`` goes to, after its progress marker and up to
    the newest signature when sending started, in id order, with their signers."""
    return list(
        audience(campaign=update.campaign)
        .filter(pk__gt=update.last_signature_id, pk__lte=update.audience_up_to)
        .select_related("supporter")
        .order_by("pk")[:size]
    )


# --- How sending goes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """Where the emails of one update stand, from their outbox rows."""

    counts: dict[str, int] = field(default_factory=dict)

    @property
    def queued(self) -> int:
        return self.counts.get(OutboundEmail.Status.QUEUED, 0) + self.counts.get(
            OutboundEmail.Status.SENDING, 0
        )

    @property
    def sent(self) -> int:
        return self.counts.get(OutboundEmail.Status.SENT, 0)

    @property
    def failed(self) -> int:
        return self.counts.get(OutboundEmail.Status.FAILED, 0)

    @property
    def cancelled(self) -> int:
        return self.counts.get(OutboundEmail.Status.CANCELLED, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def is_settled(self) -> bool:
        """Whether no email of the update is still waiting to leave."""
        return self.queued == 0


def delivery(*, update: Update) -> Delivery:
    """Queued / sent / failed / cancelled counts of ``update``'s emails, in one query."""
    rows = (
        UpdateRecipient.objects.filter(update=update, email__isnull=False)
        .values("email__status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return Delivery(counts={row["email__status"]: row["n"] for row in rows})


def is_stalled(*, update: Update, now: datetime.datetime) -> bool:
    """Whether ``update`` is sending but nothing has worked on it for a while (its task was
    lost: a broker outage, a worker killed), so that an organiser may resume it."""
    if update.status != Update.Status.SENDING:
        return False
    last = update.last_run_at or update.send_started_at
    return last is None or now - last > STALLED_AFTER


def outbox_backlog(*, limit: int) -> int:
    """How many outbox messages wait to leave, counted up to ``limit`` (a bounded query)."""
    return (
        OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED)
        .order_by()
        .values("pk")[:limit]
        .count()
    )


# --- Back-office lists -----------------------------------------------------------------------


Page = keyset.Page


def _keyset_page(queryset: QuerySet, *, field_name: str, cursor: str, size: int) -> Page:
    return keyset.page(queryset, cursor=cursor, size=size, field=field_name)


def update_page(*, campaign: Campaign, cursor: str = "", size: int | None = None) -> Page:
    """The back office's list of updates, newest first."""
    queryset = Update.objects.filter(campaign=campaign).order_by("-created_at", "-id")
    return _keyset_page(queryset, field_name="created_at", cursor=cursor, size=size or PAGE_SIZE)


def update_for_backoffice(*, update_id: int, campaign: Campaign) -> Update:
    try:
        return Update.objects.select_related("created_by", "sent_by").get(
            pk=update_id, campaign=campaign
        )
    except Update.DoesNotExist as missing:
        raise Http404("No such update") from missing


# --- Public news -------------------------------------------------------------------------------


def news_page(*, campaign: Campaign, cursor: str = "", size: int | None = None) -> Page:
    """Published updates of ``campaign``, newest first."""
    queryset = Update.objects.published().filter(campaign=campaign).order_by("-published_at", "-id")
    return _keyset_page(
        queryset, field_name="published_at", cursor=cursor, size=size or NEWS_PAGE_SIZE
    )


def published_update(*, campaign: Campaign, slug: str) -> Update:
    """The published update at ``slug``; ``Http404`` when there is none (or it was withdrawn)."""
    try:
        return Update.objects.published().get(campaign=campaign, slug=slug)
    except Update.DoesNotExist as missing:
        raise Http404("No such news") from missing


# --- Unsubscribing ---------------------------------------------------------------------------


def signature_for_unsubscribe(*, token: str) -> Signature:
    """The signature an unsubscribe link names, with its campaign (read only: a GET, or a
    mail scanner following the link, changes nothing). Raises
    ``tokens.UnsubscribeLinkInvalid`` for an altered link or a signature that is gone."""
    signature_id = tokens.read_unsubscribe_token(token)
    signature = Signature.objects.select_related("campaign").filter(pk=signature_id).first()
    if signature is None:
        raise tokens.UnsubscribeLinkInvalid
    return signature


# --- Failed emails ---------------------------------------------------------------------------


class ProblemStatus:
    """The failed-email view's status filter: which troubled messages to show."""

    ALL = ""
    FAILED = "failed"
    RETRYING = "retrying"
    CANCELLED = "cancelled"


def _problem_filter(status: str) -> Q:
    failed = Q(status=OutboundEmail.Status.FAILED)
    retrying = Q(status=OutboundEmail.Status.QUEUED) & ~Q(last_error="")
    return {
        ProblemStatus.FAILED: failed,
        ProblemStatus.RETRYING: retrying,
        ProblemStatus.CANCELLED: Q(status=OutboundEmail.Status.CANCELLED),
    }.get(status, failed | retrying)


def problem_emails(*, status: str = "", kind: str = "", recipient: str = "") -> QuerySet:
    """Outbox messages that failed, or are queued again after an error (or, when asked,
    cancelled ones), newest first, without their bodies. ``recipient``: an exact address."""
    queryset = (
        OutboundEmail.objects.filter(_problem_filter(status))
        .defer("text_body", "html_body", "headers")
        .order_by("-created_at", "-id")
    )
    if kind:
        queryset = queryset.filter(kind=kind)
    if recipient:
        queryset = queryset.filter(recipient__iexact=recipient.strip())
    return queryset


def problem_email_page(*, queryset: QuerySet, cursor: str = "", size: int | None = None) -> Page:
    """One page of ``problem_emails``."""
    return _keyset_page(queryset, field_name="created_at", cursor=cursor, size=size or PAGE_SIZE)


def problem_kinds() -> list[str]:
    """The kinds of message among the troubled ones (for the filter's choices)."""
    return list(
        OutboundEmail.objects.filter(
            _problem_filter(ProblemStatus.ALL) | _problem_filter(ProblemStatus.CANCELLED)
        )
        .order_by("kind")
        .values_list("kind", flat=True)
        .distinct()
    )


def outbox_email(*, email_id: int) -> OutboundEmail:
    try:
        return OutboundEmail.objects.get(pk=email_id)
    except OutboundEmail.DoesNotExist as missing:
        raise Http404("No such email") from missing
