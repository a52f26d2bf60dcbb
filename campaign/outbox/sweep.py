"""The sweeper (Celery beat, every minute): whatever a broker outage or a dead worker left
behind is handed to a delivery run again, so that no message is lost and none is sent twice."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import OutboundEmail
from . import handoff

logger = logging.getLogger(__name__)

# A queued row is swept only this long after it fell due, so that the sweeper does not race
# the delivery run already on its way (capped by OUTBOX_LEASE_SECONDS, which tests make short).
SWEEP_GRACE_SECONDS = 60
# At most this many expired leases are released per sweep; the next sweep takes the rest.
SWEEP_BATCH = 1000


def sweep_outbox() -> int:
    """Hand every stuck message to a delivery run again; returns how many it found.

    Stuck means ``sending`` for longer than ``OUTBOX_LEASE_SECONDS`` (its worker died or hung:
    the row goes back to ``queued``, or to ``failed`` when it has used all its attempts, as it
    may or may not have left), or ``queued`` and overdue by more than a short grace (the run
    meant for it never reached the broker, or the broker lost it). One run is started for them
    all, past the debounce, which a lost run may have left set. Celery beat runs it every
    minute; it is safe to run at any time, since delivery claims each row under a lock. This
    is what makes a Redis outage or a killed worker lose no mail.
    """
    now = timezone.now()
    released = release_expired_leases(now=now)
    grace = datetime.timedelta(seconds=min(SWEEP_GRACE_SECONDS, settings.OUTBOX_LEASE_SECONDS))
    overdue = (
        OutboundEmail.objects.overdue(now - grace)
        .order_by()
        .values("pk")[: max(0, SWEEP_BATCH - len(released))]
        .count()
    )
    if released or overdue:
        logger.info("Outbox sweep: %s leases expired, %s overdue.", len(released), overdue)
        handoff.start_batch_delivery()
    return len(released) + overdue


def release_expired_leases(*, now: datetime.datetime) -> list[int]:
    """Put back to ``queued`` the rows whose worker has held them past the lease; return their
    ids. Rows that have used all their attempts become ``failed`` instead."""
    cutoff = now - datetime.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    with transaction.atomic():
        stuck = list(
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .lease_expired(cutoff)
            .order_by("claimed_at")
            .values_list("pk", "attempts")[:SWEEP_BATCH]
        )
        exhausted = [pk for pk, attempts in stuck if attempts >= settings.OUTBOX_MAX_ATTEMPTS]
        released = [pk for pk, attempts in stuck if attempts < settings.OUTBOX_MAX_ATTEMPTS]
        lost = "The worker stopped while sending (lease expired)"
        OutboundEmail.objects.filter(pk__in=exhausted).update(
            status=OutboundEmail.Status.FAILED,
            last_error=f"{lost}; gave up: it may or may not have been delivered.",
            updated_at=now,
        )
        OutboundEmail.objects.filter(pk__in=released).update(
            status=OutboundEmail.Status.QUEUED,
            next_attempt_at=now,
            last_error=f"{lost}; queued again.",
            updated_at=now,
        )
    return released
