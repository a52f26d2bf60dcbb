"""The email outbox: the only way mail leaves the site.

Every message the site sends is an ``OutboundEmail`` row first, written in the transaction
that makes it necessary (``enqueue``, rendered by ``rendering``). After the commit a Celery
task (``deliver_outbox_batch``, handed over by ``handoff``) delivers the due rows in batches:
each batch is claimed under row locks in one short transaction, sent over one SMTP connection
outside any transaction, then recorded (``delivery``; what a failure means: ``failures``).
``sweep_outbox`` (beat, every minute) hands over again whatever a broker outage or a dead
worker left behind (``sweep``). Organisers send a message again or cancel it, audited
(``operations``).

Callers write ``from campaign import outbox`` or ``from campaign.outbox import enqueue_email``.
"""

from __future__ import annotations

from .delivery import (
    WAITING_OUTCOMES,
    Outcome,
    deliver,
    deliver_batch,
    deliver_due,
    drain_outbox,
)
from .enqueue import enqueue_email, enqueue_rendered_email
from .failures import describe_error, is_permanent_error, retry_delay
from .handoff import (
    queue_batch_delivery,
    queue_batch_delivery_after_commit,
    queue_batch_delivery_when_due,
    start_batch_delivery,
)
from .operations import OutboxError, cancel_email, retry_email
from .rendering import RenderedEmail, build_message, render_email
from .sweep import release_expired_leases, sweep_outbox

__all__ = [
    "WAITING_OUTCOMES",
    "OutboxError",
    "Outcome",
    "RenderedEmail",
    "build_message",
    "cancel_email",
    "deliver",
    "deliver_batch",
    "deliver_due",
    "describe_error",
    "drain_outbox",
    "enqueue_email",
    "enqueue_rendered_email",
    "is_permanent_error",
    "queue_batch_delivery",
    "queue_batch_delivery_after_commit",
    "queue_batch_delivery_when_due",
    "release_expired_leases",
    "render_email",
    "retry_delay",
    "retry_email",
    "start_batch_delivery",
    "sweep_outbox",
]
