"""Celery tasks of the abuse controls: thin wrappers around the services, safe to run twice."""

from __future__ import annotations

import time

from celery import shared_task

from . import invalidation, safeguards, screening, services, spikes

# A bulk invalidation hands itself back to the queue after this long, so that one job never
# holds a worker for long and a cancel is seen between chunks.
SLICE_SECONDS = 10


@shared_task(ignore_result=True, soft_time_limit=30, time_limit=60)
def screen_signature(signature_id: int, ip: str | None = None, user_agent: str = "") -> None:
    """A screening run (``screening.screen_waiting``): the block and allow lists and the
    duplicate rule applied to this signature and to every one waiting (queued after a signing
    or a confirmation commits, one run per burst). With the request's address (a task queued
    by a release before the runs), record where it came from and screen it alone."""
    if ip is not None:
        services.record_signing_context(signature_id=signature_id, ip=ip, user_agent=user_agent)
        services.screen_signature(signature_id=signature_id)
        return
    screening.screen_waiting(signature_id=signature_id)


@shared_task(ignore_result=True, soft_time_limit=60, time_limit=90)
def screen_signatures(signature_ids: list[int]) -> None:
    """Apply the block and allow lists and the duplicate rule to an import's chunk (queued
    after the chunk commits; its signing contexts were written with it)."""
    services.screen_signatures(signature_ids=signature_ids)


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def screen_stragglers() -> None:
    """Screen recent signatures whose screening was never queued (beat)."""
    services.screen_stragglers()


@shared_task(ignore_result=True, soft_time_limit=60, time_limit=90)
def detect_spikes() -> None:
    """Alert on bursts from one address range or email domain and hold them (beat)."""
    spikes.detect_spikes()


@shared_task(ignore_result=True, soft_time_limit=10, time_limit=20)
def publish_safeguards() -> None:
    """Copy the kill switches and rate limits into the cache (beat, and on a cache miss)."""
    safeguards.publish()


@shared_task(ignore_result=True, soft_time_limit=30, time_limit=60)
def run_invalidation(invalidation_id: int) -> None:
    """Work through a bulk invalidation (or its undo) chunk by chunk for a few seconds, then
    queue the rest."""
    started = time.monotonic()
    while invalidation.run_chunk(invalidation_id=invalidation_id):
        if time.monotonic() - started > SLICE_SECONDS:
            run_invalidation.delay(invalidation_id)
            return


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def delete_old_spike_evidence() -> None:
    """Retention (beat, nightly): delete spike alerts older than
    ``SPIKE_EVIDENCE_RETENTION_DAYS``. Idempotent."""
    from .retention import delete_old_spike_evidence as delete

    delete()
