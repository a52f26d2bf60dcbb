"""How long the abuse controls keep their evidence: applied nightly by beat (``abuse.tasks``).

A spike alert names an address range or an email domain and keeps a few signers' names as a
sample; ``SPIKE_EVIDENCE_RETENTION_DAYS`` after the burst's last signature it is deleted. The
signatures it held keep their hold reason (organisers decide them in the held queue), and the
signing contexts simply lose their link to it. The privacy page states the period.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import SpikeAlert

logger = logging.getLogger(__name__)


def delete_old_spike_evidence(*, now: datetime.datetime | None = None) -> int:
    """Delete the spike alerts whose last signature is older than
    ``SPIKE_EVIDENCE_RETENTION_DAYS``; one transaction, idempotent. Returns how many went."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.SPIKE_EVIDENCE_RETENTION_DAYS)
    with transaction.atomic():
        deleted, _kinds = SpikeAlert.objects.filter(last_seen_at__lt=cutoff).delete()
    logger.info("Retention: %s spike alerts deleted", deleted)
    return deleted
