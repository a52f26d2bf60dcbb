"""Celery tasks about signatures: thin wrappers around ``services``, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(ignore_result=True, soft_time_limit=30, time_limit=60)
def refresh_signature_counts() -> None:
    """Recount counted signatures per campaign and store the totals (beat, every few seconds).

    Idempotent, and one copy at a time: a run that finds another one going stops at once."""
    services.refresh_signature_counts()


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def recount_signatures() -> None:
    """The nightly exact recount: corrects the stored counts and logs any drift (beat)."""
    services.recount_signatures(wait_seconds=60)


@shared_task(ignore_result=True, soft_time_limit=30, time_limit=40)
def check_link_back(verification_id: int) -> None:
    """Fetch a supporter's page and decide their link-back verification (a decided one is
    left alone, so running twice is harmless)."""
    services.check_link_back(verification_id=verification_id)


@shared_task(ignore_result=True, soft_time_limit=600, time_limit=660)
def delete_unconfirmed_signatures() -> None:
    """Retention (beat, nightly): delete signatures left unconfirmed past
    ``UNCONFIRMED_RETENTION_DAYS``, and their signers when nothing else is kept. Idempotent."""
    from .services.retention import delete_unconfirmed_signatures as delete

    delete()


@shared_task(ignore_result=True, soft_time_limit=600, time_limit=660)
def blank_old_outbox_bodies() -> None:
    """Retention (beat, nightly): blank the address and contents of emails older than
    ``OUTBOX_BODY_RETENTION_DAYS`` that are done with (sent, failed, cancelled). Idempotent."""
    from .services.retention import blank_old_emails

    blank_old_emails()


@shared_task(ignore_result=True, soft_time_limit=600, time_limit=660)
def delete_withdrawn_signatures() -> None:
    """Retention (beat, nightly): delete signatures withdrawn more than
    ``WITHDRAWN_RETENTION_DAYS`` ago, and their signers when nothing else is kept. Idempotent."""
    from .services.retention import delete_withdrawn_signatures as delete

    delete()
