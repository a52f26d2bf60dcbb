"""Celery tasks about signatures: thin wrappers around ``services``, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def refresh_signature_counts() -> None:
    """Recount confirmed signatures per campaign and store the totals (idempotent)."""
    services.refresh_signature_counts()
