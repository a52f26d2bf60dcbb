"""Celery tasks of the email outbox: thin wrappers around ``campaign.services``.

They take ids only (JSON serializer), re-read the row and are safe to run twice.
"""

from __future__ import annotations

from celery import Task, shared_task

from . import services


@shared_task(bind=True, name="campaign.tasks.deliver_email", ignore_result=True)
def deliver_email(self: Task, email_id: int) -> str:
    """Deliver outbox message ``email_id`` (see ``services.deliver``); return the outcome.

    Guarantees: a message is sent at most once per claim, however many times this task runs
    or on how many workers (the row is claimed under a lock and its status checked first);
    delivery errors are recorded on the row, never raised. After a temporary failure, or when
    the per-minute cap is reached, the task schedules itself again for the row's next attempt
    time. Not when tasks run eagerly (the embedded default), where that would retry at once:
    there the row waits for ``sweep_outbox`` or ``manage.py deliver_outbox``.
    """
    outcome = services.deliver(email_id=email_id)
    runs_eagerly = self.request.is_eager or self.app.conf.task_always_eager
    if outcome in services.WAITING_OUTCOMES and not runs_eagerly:
        services.queue_delivery_when_due(email_id=email_id)
    return str(outcome)


@shared_task(name="campaign.tasks.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    """Hand stuck outbox messages to ``deliver_email`` again; return how many (beat, every
    minute). Guarantees that a message whose task was lost (broker down at commit time, a
    worker killed mid-send) is still delivered, and never by two workers at once."""
    return services.sweep_outbox()
