"""What organisers do with one message, from the admin or the back office: send it again or
cancel it. Both check the message's state under a row lock and record, in the same
transaction, an audit event: who asked, the supporter it was written to, the status and
attempts before and after, and the last error."""

from __future__ import annotations

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from ..audit import audit
from ..emailkeys import email_key
from ..models import AuditEvent, OutboundEmail
from . import handoff


class OutboxError(Exception):
    """An organiser asked for something the message's state does not allow."""


def retry_email(*, email_id: int, actor=None) -> OutboundEmail:
    """Send a failed or cancelled message again, with a fresh set of attempts, or a queued one
    now rather than at its next appointment; it goes to the queue after commit. Recorded as
    ``email.retried`` by ``actor`` (None: the site itself).

    The Message-ID stays the same, so a mail client treats a resend as the same message.
    Raises ``OutboxError`` when the message is being sent or has been sent (queue a new one),
    or when its recipient and body were erased.
    """
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().get(pk=email_id)
        before = _state(email)
        if email.status in (OutboundEmail.Status.SENDING, OutboundEmail.Status.SENT):
            raise OutboxError(
                gettext("This message has already left or is leaving; it cannot be sent again.")
            )
        if email.is_erased:
            raise OutboxError(
                gettext(
                    "This message was erased (privacy request or retention); it cannot be sent."
                )
            )
        if email.status != OutboundEmail.Status.QUEUED:
            email.attempts = 0
        email.status = OutboundEmail.Status.QUEUED
        email.next_attempt_at = timezone.now()
        email.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
        _audit(action="email.retried", actor=actor, email=email, before=before)
        transaction.on_commit(handoff.queue_batch_delivery_after_commit)
    return email


def cancel_email(*, email_id: int, actor=None) -> OutboundEmail:
    """Make sure a queued (or failed) message never leaves; cancelling twice is harmless.
    Recorded as ``email.cancelled`` by ``actor`` (None: the site itself).

    Raises ``OutboxError`` when the message is being sent or has been sent.
    """
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().get(pk=email_id)
        before = _state(email)
        if email.status in (OutboundEmail.Status.SENDING, OutboundEmail.Status.SENT):
            raise OutboxError(
                gettext("This message has already left or is leaving; it cannot be cancelled.")
            )
        if email.status != OutboundEmail.Status.CANCELLED:
            email.status = OutboundEmail.Status.CANCELLED
            email.save(update_fields=["status", "updated_at"])
        _audit(action="email.cancelled", actor=actor, email=email, before=before)
    return email


def _state(email: OutboundEmail) -> dict:
    return {"status": email.status, "attempts": email.attempts}


def _audit(*, action: str, actor, email: OutboundEmail, before: dict) -> None:
    audit(
        action=action,
        actor=actor,
        supporter=_supporter_written_to(email),
        data={
            "email": email.pk,
            "kind": email.kind,
            "before": before,
            "after": _state(email),
            "last_error": email.last_error[:500],
        },
    )


def _supporter_written_to(email: OutboundEmail) -> models.Model | None:
    """The supporter whose address the message was written to, if there is one. Found through
    the audit trail's own link to supporters, since ``signatures`` sits above the outbox; the
    address is compared as ``signatures.normalize.email_key`` does (``emailkeys.email_key``)."""
    supporter_model = AuditEvent._meta.get_field("supporter").related_model
    return supporter_model.objects.filter(email_key=email_key(email.recipient)).first()
