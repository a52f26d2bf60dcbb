"""Celery tasks of updates: thin wrappers around ``updates.services``. They take ids only
(JSON serializer), re-read the rows and are safe to run twice."""

from __future__ import annotations

from celery import Task, shared_task

from . import services


def _runs_eagerly(task: Task) -> bool:
    return bool(task.request.is_eager or task.app.conf.task_always_eager)


@shared_task(bind=True, name="updates.tasks.send_update", ignore_result=True)
def send_update(self: Task, update_id: int) -> str:
    """Queue update ``update_id``'s emails in batches (``services.fan_out``); return what
    is left to do.

    Guarantees: each recipient gets one outbox row, however many times this runs or on how
    many workers (batches lock the update; deduplication keys and a unique constraint stop a
    second row). On a worker a run is paced: it hands over to a fresh run after a few seconds,
    and waits while the outbox is full, so that delivery stays under the outbox's rate cap
    without holding other mail back. Run eagerly (the embedded default), it queues all.
    """
    progress = services.fan_out(update_id=update_id, paced=not _runs_eagerly(self))
    if not _runs_eagerly(self):
        services.continue_fan_out(update_id=update_id, progress=progress)
    return str(progress)


@shared_task(name="updates.tasks.resume_stalled_updates", ignore_result=True)
def resume_stalled_updates() -> int:
    """Start again the sending of every update whose task was lost; return how many. Meant
    for Celery beat (every few minutes); organisers also get a button on a stalled update."""
    return services.resume_stalled_updates()
