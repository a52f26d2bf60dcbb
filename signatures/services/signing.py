"""Signing, confirming and withdrawing: every write about a signature goes through here.

Each service is one transaction. Email leaves only through the outbox
(``campaign.outbox.enqueue_email``), written in the same transaction, so a signature is never
stored without its email nor an email queued for a signature that was rolled back.
"""

from __future__ import annotations

import datetime
import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone, translation

from campaign.audit import audit
from campaign.clientip import RequestOrigin
from campaign.models import Campaign
from campaign.outbox import enqueue_email
from campaign.selectors import bump_campaign_version
from consent.services import record_signing_consents
from ledger import services as ledger_services

from .. import normalize, stats, tokens
from ..models import Signature, Supporter, name_hold_reason
from ..signals import signature_confirmed, signature_submitted
from .accounts import ensure_account
from .public_record import give_salt, prepare_commitment, receipt_of, record_change
from .verification import impersonation_match

logger = logging.getLogger(__name__)

COUNT_REFRESH_KEY = "signatures:count-refresh-requested"
COUNT_LAST_RUN_KEY = "signatures:count-last-run"
COUNT_LOCK_KEY = "signatures:count-job-running"
# The counting lock expires by itself after this long, should its holder die (the task's hard
# time limit is shorter).
COUNT_LOCK_SECONDS = 120


class SigningClosed(Exception):
    """The campaign does not take signatures (a draft, or closed)."""


@dataclass(frozen=True)
class SignatureDetails:
    """What a person typed on the sign form, already validated and normalised."""

    full_name: str
    email: str
    field_of_work: str
    country: str
    name_display: str
    known_for: str = ""
    link: str = ""
    comment: str = ""
    wants_updates: bool = False
    updates_consent_text: str = ""


def sign(
    *,
    campaign: Campaign,
    details: SignatureDetails,
    language: str,
    origin: RequestOrigin | None = None,
) -> Signature:
    """Record a signature and queue the email that asks to confirm it.

    The caller learns nothing it may show: whether the address is new, pending or already
    confirmed, the person sees the same page. A new or pending signature gets a confirmation
    email; a confirmed one gets a notice that it is already counted; in both cases no more often
    than ``SIGNATURE_EMAIL_INTERVAL_SECONDS`` and never more than ``SIGNATURE_MAX_EMAILS``.
    Raises ``SigningClosed`` when the campaign is not live.

    ``origin`` (the request's address and browser) goes to the abuse screening, queued when the
    transaction commits: a signature it finds fraudulent is rejected there, silently.
    """
    if not campaign.is_open_for_signing:
        raise SigningClosed
    now = timezone.now()
    for attempt in range(3):
        try:
            with transaction.atomic():
                signature = _sign_once(
                    campaign=campaign, details=details, language=language, now=now
                )
                if origin is not None and signature.status == Signature.Status.PENDING:
                    signature_submitted.send(
                        sender=Signature,
                        signature_id=signature.pk,
                        origin=origin,
                        email=signature.supporter.email,
                    )
                return signature
        except IntegrityError:
            # Two requests with the same address raced to create the same rows: the loser
            # retries and finds what the winner wrote.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _sign_once(
    *, campaign: Campaign, details: SignatureDetails, language: str, now: datetime.datetime
) -> Signature:
    key = normalize.email_key(details.email)
    supporter = Supporter.objects.select_for_update().filter(email_key=key).first()
    signature = None
    if supporter is None:
        supporter = Supporter.objects.create(email=details.email, **_profile(details, language))
    else:
        signature = (
            Signature.objects.select_for_update()
            .filter(campaign=campaign, supporter=supporter)
            .first()
        )
        if signature and signature.status == Signature.Status.CONFIRMED:
            if _take_email_allowance(signature, now):
                signature.save(update_fields=["emails_sent", "last_email_at"])
                _enqueue(signature, kind="already_signed")
            return signature
        # A pending or withdrawn signature takes the details typed now, unless the person
        # already confirmed another: the new details are what the email asks to confirm.
        if not supporter.signatures.filter(status=Signature.Status.CONFIRMED).exists():
            supporter.email = details.email
            for field, value in _profile(details, language).items():
                setattr(supporter, field, value)
            supporter.save()
    if signature is None:
        signature = Signature(campaign=campaign, supporter=supporter)
    signature.status = Signature.Status.PENDING
    signature.comment = details.comment
    signature.language = language
    signature.agreed_at = now
    signature.wants_updates = details.wants_updates
    signature.updates_consent_text = details.updates_consent_text
    if details.wants_updates:
        signature.updates_unsubscribed_at = None  # asked for them again
    signature.consent_version = settings.CONSENT_VERSION
    signature.consent_recorded_at = now
    protected_name = impersonation_match(supporter=supporter, campaign=campaign)
    if protected_name and signature.moderation == Signature.Moderation.OK:
        signature.moderation = Signature.Moderation.HELD
        signature.hold_reason = name_hold_reason(protected_name)
    allowed = _take_email_allowance(signature, now)
    give_salt(signature)  # The ledger receipt's secret, saved with the row (public_record.py).
    signature.save()
    record_signing_consents(signature=signature, supporter=supporter)
    if protected_name:
        audit(
            action="signature.held",
            supporter=supporter,
            reason=signature.hold_reason,
            data={"signature": signature.pk, "name": supporter.full_name},
        )
    if allowed:
        _enqueue(signature, kind="confirm_signature")
    return signature


def _profile(details: SignatureDetails, language: str) -> dict:
    return {
        "full_name": details.full_name,
        "name_display": details.name_display,
        "field_of_work": details.field_of_work,
        "country": details.country,
        "known_for": details.known_for,
        "link": details.link,
        "language": language,
    }


def _take_email_allowance(signature: Signature, now: datetime.datetime) -> bool:
    """Count one more email against the signature if it may have one now (the caller saves)."""
    interval = datetime.timedelta(seconds=settings.SIGNATURE_EMAIL_INTERVAL_SECONDS)
    if signature.emails_sent >= settings.SIGNATURE_MAX_EMAILS or (
        signature.last_email_at and now - signature.last_email_at < interval
    ):
        logger.info("Signature %s: email withheld (too soon or too many)", signature.pk)
        return False
    signature.emails_sent += 1
    signature.last_email_at = now
    return True


def _enqueue(signature: Signature, *, kind: str) -> None:
    """Queue email ``kind`` about ``signature``, in its language, with its signed links."""
    language = signature.language
    with translation.override(language):
        links = {
            "confirm_url": settings.SITE_URL
            + reverse("signatures:confirm", args=[tokens.make_confirm_token(signature)]),
            "withdraw_url": settings.SITE_URL
            + reverse("signatures:withdraw", args=[tokens.make_withdraw_token(signature)]),
            "home_url": settings.SITE_URL + reverse("campaign:home"),
        }
    enqueue_email(
        to=signature.supporter.email,
        kind=kind,
        language=language,
        context={
            "name": signature.supporter.full_name,
            "campaign": signature.campaign,
            "confirm_days": settings.SIGNATURE_CONFIRM_DAYS,
            # The signer's ledger receipt (templates/ledger/includes/receipt_email.*).
            "receipt": receipt_of(signature, with_entries=signature.is_counted),
            **links,
        },
        # Unique by construction: the signature row is locked (or new) and its email count
        # only grows, so no lookup is needed first.
        dedup_key=f"{kind}:{signature.pk}:{signature.emails_sent}",
        fresh_key=True,
    )


@dataclass(frozen=True)
class Confirmation:
    signature: Signature
    newly_confirmed: bool


def confirm_signature(*, token: str) -> Confirmation:
    """Confirm the signature a link names. A second click on the same link is harmless.

    Raises ``tokens.TokenExpired`` for an old link (so the page can offer a new one) and
    ``tokens.TokenInvalid`` for an altered link or one issued before a withdrawal.
    """
    claim = tokens.read_confirm_token(token)
    with transaction.atomic():
        signature = (
            Signature.objects.select_for_update()
            .select_related("campaign", "supporter")
            .filter(pk=claim.signature_id)
            .first()
        )
        # A link issued before a withdrawal names an older state: it stays dead, even once
        # the person has signed again and confirmed with a new link.
        if signature is None or claim.state != tokens.state_marker(signature):
            raise tokens.TokenInvalid
        if signature.status == Signature.Status.CONFIRMED:
            return Confirmation(signature=signature, newly_confirmed=False)
        if signature.status != Signature.Status.PENDING:
            raise tokens.TokenInvalid
        signature.status = Signature.Status.CONFIRMED
        signature.confirmed_at = timezone.now()
        ledger_fields = prepare_commitment(signature)
        signature.save(update_fields=["status", "confirmed_at", *ledger_fields])
        record_change(signature)  # Its ledger entry, in this transaction (public_record.py).
        ensure_account(supporter=signature.supporter)
        # Now confirmed, it may duplicate another confirmed signature (the abuse screening).
        signature_confirmed.send(sender=Signature, signature_id=signature.pk)
        if signature.is_counted:
            request_count_refresh()
    return Confirmation(signature=signature, newly_confirmed=True)


def signature_for_withdrawal(*, token: str) -> Signature:
    """The signature a withdrawal link names. Raises ``tokens.TokenInvalid``."""
    claim = tokens.read_withdraw_token(token)
    signature = (
        Signature.objects.select_related("campaign", "supporter")
        .filter(pk=claim.signature_id)
        .first()
    )
    if signature is None:
        raise tokens.TokenInvalid
    return signature


def withdraw_signature(*, token: str) -> Signature:
    """Withdraw a signature: it stops counting and leaves every public list at once.

    Withdrawing twice is harmless. Raises ``tokens.TokenInvalid``.
    """
    claim = tokens.read_withdraw_token(token)
    signature = withdraw_signature_of(signature_id=claim.signature_id)
    if signature is None:
        raise tokens.TokenInvalid
    return signature


def withdraw_signature_of(*, signature_id: int) -> Signature | None:
    """Withdraw signature ``signature_id`` (from a link, or from the signer's account page).

    It stops counting and leaves every public list; withdrawing twice is harmless. Returns
    ``None`` when there is no such signature.
    """
    with transaction.atomic():
        signature = (
            Signature.objects.select_for_update()
            .select_related("campaign", "supporter")
            .filter(pk=signature_id)
            .first()
        )
        if signature is not None and signature.status != Signature.Status.WITHDRAWN:
            was_counted = signature.is_counted
            signature.status = Signature.Status.WITHDRAWN
            signature.withdrawn_at = timezone.now()
            signature.save(update_fields=["status", "withdrawn_at"])
            record_change(signature)
            if was_counted:
                request_count_refresh()
    return signature


def resend_confirmation(*, signature_id: int | None = None, email: str = "") -> None:
    """Send a fresh confirmation link for a pending signature, named by id or by address.

    Says nothing about whether anything was sent: the caller shows the same page either way.
    """
    now = timezone.now()
    with transaction.atomic():
        signatures = Signature.objects.select_for_update().filter(status=Signature.Status.PENDING)
        if signature_id is not None:
            signatures = signatures.filter(pk=signature_id)
        elif email:
            signatures = signatures.filter(supporter__email_key=normalize.email_key(email))
        else:
            return
        for signature in signatures.select_related("supporter", "campaign"):
            if _take_email_allowance(signature, now):
                signature.save(update_fields=["emails_sent", "last_email_at"])
                _enqueue(signature, kind="confirm_signature")


# --- Counting --------------------------------------------------------------------------------
#
# The public count is a number stored on the campaign row and read by every public page. It is
# written by one batched job only: ``refresh_signature_counts``, run by Celery beat every
# ``COUNT_REFRESH_SECONDS`` (and queued soon after a confirmation or withdrawal, at most once per
# interval), one copy at a time. Confirming a signature never touches the campaign row, so a
# signing surge has no hot row to queue on. The job counts exactly, in one grouped query that
# PostgreSQL answers from the directory's partial index (see docs/performance.md): an exact
# count cannot miss a row that committed late, and it corrects itself on every run.
# ``recount_signatures`` (beat, nightly) does the same and reports any drift it corrects.


@dataclass(frozen=True)
class CountCheck:
    """One campaign's stored public count against the exact count, as the recount found it."""

    campaign_id: int
    slug: str
    stored: int
    exact: int

    @property
    def drift(self) -> int:
        return self.stored - self.exact


def exact_signature_counts() -> dict[int, int]:
    """{campaign id: number of counted signatures}, exact, in one grouped query."""
    return dict(
        Signature.objects.counted()
        .order_by()
        .values_list("campaign")
        .annotate(n=Count("id"))
        .values_list("campaign", "n")
    )


def counted_and_checked() -> dict[int, int]:
    """The exact counts, taken in one database snapshot with the public ledger, which is
    sequenced and checked against them on the way: a difference is logged as an error
    (``ledger.services.sequence_and_count``, docs/ledger.md)."""
    return ledger_services.sequence_and_count(count=exact_signature_counts).counts


def refresh_signature_counts() -> dict[int, int] | None:
    """Store each campaign's exact number of counted signatures on the campaign row.

    The only place the public count is computed, never by a public request. One copy runs at a
    time: while another holds the lock this returns ``None`` at once (the running copy's result
    is as fresh). A campaign row is written only when its count changed, so
    ``count_refreshed_at`` says when the count last moved (the stats cache keys on it).
    Returns {campaign id: count}.
    """
    with _count_lock() as acquired:
        if not acquired:
            logger.debug("A count refresh is already running; this one stops.")
            return None
        counts = counted_and_checked()
        _store_counts(counts)
    return counts


def recount_signatures(*, wait_seconds: float = 30) -> list[CountCheck]:
    """Recount exactly, correct the stored counts and report each campaign's drift.

    Run nightly by beat and by ``manage.py recount_signatures``. Waits up to ``wait_seconds``
    for a running refresh to finish, then takes the lock itself. Drift is the stored count
    minus the exact one: with the refresh job running it is at most the signatures of its last
    few seconds; anything more means the job stopped, and is logged as a warning.
    Raises ``TimeoutError`` when the lock stays taken.
    """
    deadline = time.monotonic() + wait_seconds
    while True:
        with _count_lock() as acquired:
            if acquired:
                stored = list(
                    Campaign.objects.order_by("id").values_list("id", "slug", "signature_count")
                )
                counts = counted_and_checked()
                _store_counts(counts)
                break
        if time.monotonic() >= deadline:
            raise TimeoutError("The count refresh lock stayed taken; try again later.")
        time.sleep(0.5)
    checks = [
        CountCheck(campaign_id=pk, slug=slug, stored=count, exact=counts.get(pk, 0))
        for pk, slug, count in stored
    ]
    for check in checks:
        if check.drift:
            logger.warning(
                "Count drift corrected for %s: stored %s, exact %s (%+d)",
                check.slug,
                check.stored,
                check.exact,
                check.drift,
            )
        else:
            logger.info("Count exact for %s: %s", check.slug, check.exact)
    return checks


def _store_counts(counts: dict[int, int]) -> None:
    now = timezone.now()
    for campaign_id in Campaign.objects.values_list("id", flat=True):
        count = counts.get(campaign_id, 0)
        changed = Campaign.objects.filter(pk=campaign_id).exclude(signature_count=count)
        if changed.update(signature_count=count, count_refreshed_at=now):
            logger.info("Campaign %s now counts %s signatures", campaign_id, count)
            bump_campaign_version()  # update() sends no signal: every process reloads it
            _warm_figures(campaign_id)
    # When the job last ran, moved or not: what monitoring compares with the clock.
    _cache_quietly(cache.set, COUNT_LAST_RUN_KEY, now.timestamp(), timeout=None)


def _warm_figures(campaign_id: int) -> None:
    """Compute the new count's figures now (stats page, home growth chart), so that no public
    request aggregates. A failure here must not undo the count: it is logged, and the stats
    page computes the figures on its first visit instead."""
    try:
        stats.warm(campaign=Campaign.objects.get(pk=campaign_id))
    except Exception:
        logger.warning(
            "Could not precompute the figures of campaign %s", campaign_id, exc_info=True
        )


@contextmanager
def _count_lock() -> Iterator[bool]:
    """Hold the counting lock (a cache key that expires by itself if its holder dies); yields
    whether it was acquired. With the cache down, counting goes ahead unlocked: two copies
    write the same exact numbers, which is better than no count."""
    token = uuid.uuid4().hex
    acquired = _cache_quietly(
        cache.add, COUNT_LOCK_KEY, token, timeout=COUNT_LOCK_SECONDS, default=None
    )
    if acquired is None:
        logger.warning("Cache unavailable; counting without the lock")
        yield True
        return
    try:
        yield bool(acquired)
    finally:
        if acquired and _cache_quietly(cache.get, COUNT_LOCK_KEY) == token:
            _cache_quietly(cache.delete, COUNT_LOCK_KEY)


def _cache_quietly(call, *args, default=None, **kwargs):
    try:
        return call(*args, **kwargs)
    except Exception:
        logger.warning("Cache call %s failed", getattr(call, "__name__", call), exc_info=True)
        return default


def count_last_run() -> datetime.datetime | None:
    """When the counting job last completed (whether or not the count moved), if known."""
    stamp = _cache_quietly(cache.get, COUNT_LAST_RUN_KEY)
    return datetime.datetime.fromtimestamp(stamp, tz=datetime.UTC) if stamp else None


def request_count_refresh() -> None:
    """Ask for the public count to be refreshed once the current transaction commits.

    With a worker, at most one request per ``COUNT_REFRESH_SECONDS`` reaches the queue (beat
    refreshes on that rhythm anyway); on the embedded default the refresh runs at once.
    """
    from ..tasks import refresh_signature_counts as task

    if settings.CELERY_TASK_ALWAYS_EAGER:
        transaction.on_commit(task.delay)
        return
    try:
        first = cache.add(COUNT_REFRESH_KEY, 1, timeout=settings.COUNT_REFRESH_SECONDS)
    except Exception:  # The cache is down: beat's next run refreshes the count anyway.
        logger.warning("Cache unavailable; count refresh left to beat", exc_info=True)
        return
    if first:
        transaction.on_commit(_enqueue_refresh)


def _enqueue_refresh() -> None:
    from ..tasks import refresh_signature_counts as task

    try:
        task.apply_async(countdown=1)
    except Exception:  # The broker is down: beat's next run refreshes the count anyway.
        logger.warning("Could not queue a count refresh", exc_info=True)
