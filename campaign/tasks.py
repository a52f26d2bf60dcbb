"""Celery tasks of the email outbox: thin wrappers around ``campaign.outbox``.

They take ids only (JSON serializer), re-read the rows and are safe to run twice.
"""

from __future__ import annotations

from celery import Task, shared_task

from . import outbox


def _runs_eagerly(task: Task) -> bool:
    return bool(task.request.is_eager or task.app.conf.task_always_eager)


@shared_task(bind=True, name="campaign.tasks.deliver_outbox_batch", ignore_result=True)
def deliver_outbox_batch(self: Task, wake_up: bool = False) -> dict[str, int]:
    """Deliver the due outbox messages, batch after batch (see ``outbox.drain_outbox``);
    return the outcomes counted. Sent after commits by ``outbox.queue_batch_delivery``,
    debounced, by the sweeper, and by each worker as it becomes ready (``campaign/celery.py``);
    ``wake_up`` for a run scheduled for when a waiting message falls due, or sent as a worker
    starts: such a run schedules the next one while messages still wait.

    Guarantees: each message is sent at most once per claim, however many runs go on at once
    or on how many workers (each batch is claimed under row locks the others skip); delivery
    errors are recorded on the rows, never raised. On a worker, a run hands over to another
    when there is more than its time allows, and schedules one for the next waiting message
    (a temporary failure, the per-minute cap). Not when tasks run eagerly (the embedded
    default), where that would run inside this one: there a run delivers everything due, and
    waiting rows wait for the next commit, ``sweep_outbox`` or ``manage.py deliver_outbox``.
    """
    outcomes = outbox.drain_outbox(may_hand_over=not _runs_eagerly(self), wake_up=wake_up)
    return {str(outcome): count for outcome, count in outcomes.items()}


@shared_task(bind=True, name="campaign.tasks.deliver_email", ignore_result=True)
def deliver_email(self: Task, email_id: int) -> str:
    """Deliver outbox message ``email_id`` alone (see ``outbox.deliver``); return the outcome.
    Messages are handed over in batches now (``deliver_outbox_batch``); this one-message task
    remains for tasks already in a broker and for running by hand.

    Guarantees: a message is sent at most once per claim, however many times this task runs
    or on how many workers (the row is claimed under a lock and its status checked first);
    delivery errors are recorded on the row, never raised. After a temporary failure, or when
    the per-minute cap is reached, a delivery run is scheduled for the row's next attempt
    time; not when tasks run eagerly, where it would run at once.
    """
    outcome = outbox.deliver(email_id=email_id)
    if outcome in outbox.WAITING_OUTCOMES and not _runs_eagerly(self):
        outbox.queue_batch_delivery_when_due()
    return str(outcome)


@shared_task(name="campaign.tasks.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    """Hand stuck outbox messages to a delivery run again; return how many (beat, every
    minute). Guarantees that a message whose run was lost (broker down at commit time, a
    worker killed mid-send) is still delivered, and never by two workers at once."""
    return outbox.sweep_outbox()
