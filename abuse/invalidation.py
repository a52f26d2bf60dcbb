"""Bulk invalidation: reject every signature a selection matches, as a cancellable background
job in chunks, and undo it.

The organiser previews the selection (``selectors.preview``), then confirms: ``start`` records
the job and queues it. Each chunk, in its own transaction, takes the next matching signatures
by id (up to the newest one at confirmation, so signatures made later are never swept up),
records each one's previous review state and rejects it; the job's cursor and counts move in
the same transaction, so a chunk that runs twice changes nothing twice. Between chunks the job
checks whether it was cancelled. Undoing restores exactly the signatures the job changed, to
their previous state, unless an organiser has decided on one since. Every start, end, cancel
and undo is an audit event, and the public count is refreshed after each chunk that moved it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaign.audit import audit
from campaign.models import Campaign
from ledger.models import Reason
from signatures.models import Signature
from signatures.services import record_changes, request_count_refresh

from .models import InvalidatedSignature, Invalidation
from .selectors import Criteria, matching_signatures, preview


class InvalidationError(Exception):
    """An invalidation that cannot be started, cancelled or undone in its current state."""


def hold_reason(invalidation: Invalidation) -> str:
    return f"Bulk invalidation {invalidation.pk}: {invalidation.reason}"[:300]


def start(*, campaign: Campaign, criteria: Criteria, reason: str, actor) -> Invalidation:
    """Record a confirmed invalidation and queue it. Raises ``InvalidationError`` for an
    empty selection."""
    if criteria.is_empty:
        raise InvalidationError("An invalidation needs at least one criterion.")
    seen = preview(campaign=campaign, criteria=criteria)
    with transaction.atomic():
        invalidation = Invalidation.objects.create(
            campaign=campaign,
            criteria=criteria.as_data(),
            reason=reason,
            expected_count=seen.count,
            upper_id=seen.upper_id,
            created_by=actor,
        )
        audit(
            action="abuse.invalidation_started",
            actor=actor,
            reason=reason,
            data={
                "invalidation": invalidation.pk,
                "criteria": invalidation.criteria,
                "expected": seen.count,
            },
        )
        _queue_after_commit(invalidation.pk)
    return invalidation


def _queue_after_commit(invalidation_id: int) -> None:
    from .tasks import run_invalidation

    transaction.on_commit(lambda: run_invalidation.delay(invalidation_id))


def run_chunk(*, invalidation_id: int) -> bool:
    """Invalidate the next chunk, or undo it when the job is being undone. Returns whether
    work remains."""
    with transaction.atomic():
        invalidation = Invalidation.objects.select_for_update().filter(pk=invalidation_id).first()
        if invalidation is None:
            return False
        if invalidation.status == Invalidation.Status.UNDOING:
            return _undo_chunk(invalidation)
        if invalidation.status not in (Invalidation.Status.QUEUED, Invalidation.Status.RUNNING):
            return False
        if invalidation.cancel_requested:
            _finish(invalidation, Invalidation.Status.CANCELLED, "abuse.invalidation_cancelled")
            return False
        return _invalidate_chunk(invalidation)


def _invalidate_chunk(invalidation: Invalidation) -> bool:
    criteria = Criteria.from_data(invalidation.criteria)
    chunk = list(
        matching_signatures(campaign=invalidation.campaign, criteria=criteria)
        .filter(pk__gt=invalidation.cursor, pk__lte=invalidation.upper_id)
        .select_for_update(of=("self",))
        .order_by("pk")[: settings.ABUSE_INVALIDATION_CHUNK]
    )
    invalidation.status = Invalidation.Status.RUNNING
    if not chunk:
        _finish(invalidation, Invalidation.Status.DONE, "abuse.invalidation_finished")
        return False
    InvalidatedSignature.objects.bulk_create(
        [
            InvalidatedSignature(
                invalidation=invalidation,
                signature=signature,
                previous_moderation=signature.moderation,
                previous_hold_reason=signature.hold_reason,
            )
            for signature in chunk
        ]
    )
    counted = any(signature.is_counted for signature in chunk)
    Signature.objects.filter(pk__in=[s.pk for s in chunk]).update(
        moderation=Signature.Moderation.REJECTED, hold_reason=hold_reason(invalidation)
    )
    for signature in chunk:
        signature.moderation = Signature.Moderation.REJECTED
    record_changes(chunk, rejection=Reason.FRAUDULENT)  # The ledger's entries, same transaction.
    invalidation.cursor = chunk[-1].pk
    invalidation.processed_count += len(chunk)
    invalidation.changed_count += len(chunk)
    invalidation.save(update_fields=["status", "cursor", "processed_count", "changed_count"])
    if counted:
        request_count_refresh()
    return True


def _finish(invalidation: Invalidation, status: str, action: str) -> None:
    invalidation.status = status
    invalidation.finished_at = timezone.now()
    invalidation.save(update_fields=["status", "finished_at"])
    audit(
        action=action,
        reason=invalidation.reason,
        data={"invalidation": invalidation.pk, "changed": invalidation.changed_count},
    )


def cancel(*, invalidation_id: int, actor) -> Invalidation:
    """Ask a running invalidation to stop after its current chunk (what it changed stays
    changed, and can be undone). Raises ``InvalidationError`` when it is not running."""
    with transaction.atomic():
        invalidation = Invalidation.objects.select_for_update().get(pk=invalidation_id)
        if invalidation.status not in (Invalidation.Status.QUEUED, Invalidation.Status.RUNNING):
            raise InvalidationError("Only a running invalidation can be cancelled.")
        invalidation.cancel_requested = True
        invalidation.save(update_fields=["cancel_requested"])
        audit(
            action="abuse.invalidation_cancel_requested",
            actor=actor,
            data={"invalidation": invalidation.pk},
        )
    return invalidation


def undo(*, invalidation_id: int, actor) -> Invalidation:
    """Queue the undoing of a finished or cancelled invalidation. Raises
    ``InvalidationError`` in any other state."""
    with transaction.atomic():
        invalidation = Invalidation.objects.select_for_update().get(pk=invalidation_id)
        if not invalidation.can_undo:
            raise InvalidationError("Only a finished or cancelled invalidation can be undone.")
        invalidation.status = Invalidation.Status.UNDOING
        invalidation.undone_by = actor
        invalidation.save(update_fields=["status", "undone_by"])
        audit(
            action="abuse.invalidation_undo_started",
            actor=actor,
            reason=invalidation.reason,
            data={"invalidation": invalidation.pk, "changed": invalidation.changed_count},
        )
        _queue_after_commit(invalidation.pk)
    return invalidation


def _undo_chunk(invalidation: Invalidation) -> bool:
    """Restore the next chunk of changed signatures that nobody has decided on since."""
    changes = list(
        invalidation.changes.filter(handled_at__isnull=True)
        .select_related("signature")
        .order_by("id")[: settings.ABUSE_INVALIDATION_CHUNK]
    )
    if not changes:
        invalidation.undone_at = timezone.now()
        invalidation.status = Invalidation.Status.UNDONE
        invalidation.save(update_fields=["status", "undone_at"])
        audit(
            action="abuse.invalidation_undone",
            actor=invalidation.undone_by,
            reason=invalidation.reason,
            data={"invalidation": invalidation.pk, "restored": invalidation.restored_count},
        )
        return False
    reason = hold_reason(invalidation)
    ours = {
        signature.pk: signature
        for signature in Signature.objects.select_for_update().filter(
            pk__in=[change.signature_id for change in changes],
            moderation=Signature.Moderation.REJECTED,
            hold_reason=reason,
        )
    }
    restored_any_counted = False
    for change in changes:
        signature = ours.get(change.signature_id)
        if signature is None:
            continue  # decided on since: left as the organiser left it
        signature.moderation = change.previous_moderation
        signature.hold_reason = change.previous_hold_reason
        signature.save(update_fields=["moderation", "hold_reason"])
        record_changes([signature])
        restored_any_counted = restored_any_counted or signature.is_counted
        invalidation.restored_count += 1
    InvalidatedSignature.objects.filter(pk__in=[c.pk for c in changes]).update(
        handled_at=timezone.now()
    )
    invalidation.save(update_fields=["restored_count"])
    if restored_any_counted:
        request_count_refresh()
    return True
