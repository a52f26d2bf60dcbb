"""The audit trail: every decision or change that matters, written once and never changed.

It sits at the bottom of the house so that every app (signatures, abuse, optouts, updates, the
back office, the outbox) records its decisions the same way without importing one another.
"""

from __future__ import annotations

from django.db import models

from .models import AuditEvent


def audit(
    *,
    action: str,
    supporter: models.Model | None = None,
    actor=None,
    reason: str = "",
    data: dict | None = None,
) -> AuditEvent:
    """Record a decision or change. ``actor`` is None when the site itself decided; ``supporter``
    is the person it is about, if any."""
    return AuditEvent.objects.create(
        action=action, supporter=supporter, actor=actor, reason=reason, data=data or {}
    )
