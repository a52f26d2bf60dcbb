"""Celery tasks of the back office: thin wrappers around its services, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from .transfer import job

# A run imports chunks for this long, then hands over to a fresh run (so that it stays far
# inside the time limits below and other tasks get their turn).
IMPORT_RUN_SECONDS = 20


@shared_task(ignore_result=True, soft_time_limit=60, time_limit=90)
def run_import(job_id: int) -> None:
    """Go on with import ``job_id`` where it stands, then queue the next run if rows remain.

    Every chunk commits with the job's progress, under the job's row lock: a second copy of
    this task waits for the first one's chunk and goes on after it, and a finished job is left
    alone, so running it twice imports nothing twice."""
    if job.continue_import(job_id=job_id, seconds=IMPORT_RUN_SECONDS):
        run_import.delay(job_id)


@shared_task(ignore_result=True, soft_time_limit=300, time_limit=360)
def forget_old_import_files() -> None:
    """Retention (beat, nightly): delete import files, dry-run files and import reports past
    their periods (``IMPORT_*_RETENTION_DAYS``). Idempotent."""
    job.forget_old_import_files()
