"""Signing, confirming and withdrawing: every write about a signature goes through here.

Each service is one transaction. Email leaves only through the outbox
(``campaign.services.enqueue_email``), written in the same transaction, so a signature is never
stored without its email nor an email queued for a signature that was rolled back.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone, translation

from campaign.models import Campaign
from campaign.services import enqueue_email

from .. import normalize, tokens
from ..models import Signature, Supporter
from .accounts import ensure_account
from .verification import audit, impersonation_match

logger = logging.getLogger(__name__)

COUNT_REFRESH_KEY = "signatures:count-refresh-requested"


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


def sign(*, campaign: Campaign, details: SignatureDetails, language: str) -> Signature:
    """Record a signature and queue the email that asks to confirm it.

    The caller learns nothing it may show: whether the address is new, pending or already
    confirmed, the person sees the same page. A new or pending signature gets a confirmation
    email; a confirmed one gets a notice that it is already counted; in both cases no more often
    than ``SIGNATURE_EMAIL_INTERVAL_SECONDS`` and never more than ``SIGNATURE_MAX_EMAILS``.
    Raises ``SigningClosed`` when the campaign is not live.
    """
    if not campaign.is_open_for_signing:
        raise SigningClosed
    now = timezone.now()
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _sign_once(campaign=campaign, details=details, language=language, now=now)
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
    signature.consent_version = settings.CONSENT_VERSION
    signature.consent_recorded_at = now
    protected_name = impersonation_match(supporter=supporter, campaign=campaign)
    if protected_name and signature.moderation == Signature.Moderation.OK:
        signature.moderation = Signature.Moderation.HELD
        signature.hold_reason = f"Name confusable with {protected_name}"[:300]
    allowed = _take_email_allowance(signature, now)
    signature.save()
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
            **links,
        },
        dedup_key=f"{kind}:{signature.pk}:{signature.emails_sent}",
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
        if signature is None:
            raise tokens.TokenInvalid
        if signature.status == Signature.Status.CONFIRMED:
            return Confirmation(signature=signature, newly_confirmed=False)
        if signature.status != Signature.Status.PENDING or claim.state != tokens.state_marker(
            signature
        ):
            raise tokens.TokenInvalid
        signature.status = Signature.Status.CONFIRMED
        signature.confirmed_at = timezone.now()
        signature.save(update_fields=["status", "confirmed_at"])
        ensure_account(supporter=signature.supporter)
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


def refresh_signature_counts() -> dict[int, int]:
    """Store each campaign's number of confirmed signatures on the campaign row.

    The only place the public count is computed: one grouped query on the
    (campaign, status) index, run by Celery beat every ``COUNT_REFRESH_SECONDS`` and soon after
    a confirmation or withdrawal, never by a public request. Returns {campaign id: count}.
    """
    counts = dict(
        Signature.objects.counted()
        .values_list("campaign")
        .annotate(n=Count("id"))
        .values_list("campaign", "n")
    )
    now = timezone.now()
    for campaign in Campaign.objects.only("id", "signature_count"):
        count = counts.get(campaign.id, 0)
        changed = Campaign.objects.filter(pk=campaign.pk).exclude(signature_count=count)
        if changed.update(signature_count=count, count_refreshed_at=now):
            logger.info("Campaign %s now counts %s signatures", campaign.pk, count)
    return counts


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
