"""Celery tasks about signatures: thin wrappers around ``services``, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def refresh_signature_counts() -> None:
    """Recount confirmed signatures per campaign and store the totals (idempotent)."""
    services.refresh_signature_counts()


@shared_task(ignore_result=True, soft_time_limit=30, time_limit=40)
def check_link_back(verification_id: int) -> None:
    """Fetch a supporter's page and decide their link-back verification (a decided one is
    left alone, so running twice is harmless)."""
    services.check_link_back(verification_id=verification_id)
