"""How long personal data is kept: applied nightly by beat (``signatures.tasks``).

A signature still unconfirmed ``UNCONFIRMED_RETENTION_DAYS`` after it was last signed or sent
a link goes, with its signer when nothing else is kept about them; an email that left (or
failed, or was cancelled) more than ``OUTBOX_BODY_RETENTION_DAYS`` ago loses its address,
subject and body; a signature withdrawn more than ``WITHDRAWN_RETENTION_DAYS`` ago goes, with
its signer when nothing else is kept about them. All are idempotent: a second run finds nothing
to do. The privacy page states the numbers from these settings.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from campaign.audit import audit
from campaign.models import OutboundEmail
from ledger.models import Reason

from ..models import Signature
from .privacy import ERASED, _close_account, blank_emails, erase_traces
from .public_record import record_erasure

logger = logging.getLogger(__name__)

_BATCH = 500


@dataclass(frozen=True)
class SignaturesDeleted:
    signatures: int
    supporters: int


def delete_unconfirmed_signatures(*, now: datetime.datetime | None = None) -> SignaturesDeleted:
    """Delete signatures still unconfirmed ``UNCONFIRMED_RETENTION_DAYS`` after the last time
    they were signed or sent a link, with their consent records; and their signer, with the
    emails to them, when nothing else is kept about them (no other signature, no account, no
    opt-out declaration). Batches of a few hundred, one transaction each; idempotent."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.UNCONFIRMED_RETENTION_DAYS)
    stale = Signature.objects.filter(status=Signature.Status.PENDING, agreed_at__lt=cutoff).filter(
        Q(last_email_at__isnull=True) | Q(last_email_at__lt=cutoff)
    )
    return _delete_in_batches(stale, _forget_unconfirmed, what="unconfirmed")


def delete_withdrawn_signatures(*, now: datetime.datetime | None = None) -> SignaturesDeleted:
    """Delete signatures withdrawn more than ``WITHDRAWN_RETENTION_DAYS`` ago, with their
    comments and consent records; and their signer, with the emails to them and the account
    that confirming gave them, when nothing else is kept about them (no other signature, no
    opt-out declaration; a back-office login stays, as erasure keeps it). The public
    count is not touched: a withdrawn signature no longer counts. Batches of a few hundred,
    one transaction each; idempotent."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.WITHDRAWN_RETENTION_DAYS)
    old = Signature.objects.filter(status=Signature.Status.WITHDRAWN, withdrawn_at__lt=cutoff)
    return _delete_in_batches(old, _forget_withdrawn, what="withdrawn")


def _delete_in_batches(
    due: QuerySet[Signature], forget: Callable[[Signature], int], *, what: str
) -> SignaturesDeleted:
    """Apply ``forget`` (which returns 1 when the signer went too) to every signature of
    ``due``, a few hundred per transaction, rows locked; audit and log the totals as
    ``retention.<what>_deleted``."""
    signatures = supporters = 0
    while ids := list(due.order_by("pk").values_list("pk", flat=True)[:_BATCH]):
        with transaction.atomic():
            for signature in (
                due.filter(pk__in=ids).select_for_update(of=("self",)).select_related("supporter")
            ):
                supporters += forget(signature)
                signatures += 1
    if signatures:
        audit(
            action=f"retention.{what}_deleted",
            data={"signatures": signatures, "supporters": supporters},
        )
    logger.info(
        "Retention: %s %s signatures deleted, %s supporters with them",
        signatures,
        what,
        supporters,
    )
    return SignaturesDeleted(signatures=signatures, supporters=supporters)


def _forget_withdrawn(signature: Signature) -> int:
    """Delete one withdrawn signature past its retention; its signer too, with their account,
    when nothing else is kept. Returns 1 when the signer went."""
    supporter = signature.supporter
    signature.delete()
    if supporter.signatures.exists() or supporter.optout_declarations.exists():
        return 0
    user = supporter.user
    erase_traces(supporter=supporter)
    supporter.delete()
    if user is not None:
        _close_account(user)
    return 1


def _forget_unconfirmed(signature: Signature) -> int:
    """Delete one signature past its retention; its signer too if nothing else is kept.
    Returns 1 when the signer went."""
    supporter = signature.supporter
    # Never counted now, but it may have been (withdrawn, then signed again): the ledger says
    # its data is gone; the count does not move.
    record_erasure(signature, reason=Reason.RETENTION)
    signature.delete()
    keeps_something = (
        supporter.user_id is not None
        or supporter.signatures.exists()
        or supporter.optout_declarations.exists()
    )
    if keeps_something:
        return 0
    erase_traces(supporter=supporter)
    supporter.delete()
    return 1


def blank_old_emails(*, now: datetime.datetime | None = None) -> int:
    """Blank the address, subject, body, headers and error of each email that was sent, failed
    or cancelled more than ``OUTBOX_BODY_RETENTION_DAYS`` ago. Its kind, status, dates and
    Message-ID stay (enough to answer "did it leave?"). Idempotent; returns how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.OUTBOX_BODY_RETENTION_DAYS)
    old = OutboundEmail.objects.filter(
        status__in=[
            OutboundEmail.Status.SENT,
            OutboundEmail.Status.FAILED,
            OutboundEmail.Status.CANCELLED,
        ],
        created_at__lt=cutoff,
    ).exclude(recipient=ERASED)
    blanked = 0
    while ids := list(old.order_by("pk").values_list("pk", flat=True)[: _BATCH * 2]):
        blanked += blank_emails(OutboundEmail.objects.filter(pk__in=ids))
    logger.info("Retention: %s old emails blanked", blanked)
    return blanked
