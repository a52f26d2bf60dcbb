"""Writes of updates to signatories: ``authoring`` (drafts, the test to oneself, publishing as
news), ``fanout`` (sending to everyone through the email outbox, in batches), ``unsubscribe``
(the link every update carries) and ``emails`` (an update as an email).

Callers write ``from updates import services`` and ``services.start_sending(...)``.
"""

from __future__ import annotations

from .authoring import (
    TestSend,
    UpdateError,
    UpdateText,
    create_update,
    delete_draft,
    edit_update,
    publish_update,
    send_test,
    unpublish_update,
)
from .emails import EMAIL_KIND, unsubscribe_headers, unsubscribe_url
from .fanout import (
    FANOUT_BATCH_SIZE,
    PACE_WAIT_SECONDS,
    RUN_SECONDS,
    FanOut,
    continue_fan_out,
    fan_out,
    queue_next_batch,
    resume_sending,
    resume_stalled_updates,
    start_sending,
)
from .unsubscribe import unsubscribe

__all__ = [
    "EMAIL_KIND",
    "FANOUT_BATCH_SIZE",
    "PACE_WAIT_SECONDS",
    "RUN_SECONDS",
    "FanOut",
    "TestSend",
    "UpdateError",
    "UpdateText",
    "continue_fan_out",
    "create_update",
    "delete_draft",
    "edit_update",
    "fan_out",
    "publish_update",
    "queue_next_batch",
    "resume_sending",
    "resume_stalled_updates",
    "send_test",
    "start_sending",
    "unpublish_update",
    "unsubscribe",
    "unsubscribe_headers",
    "unsubscribe_url",
]
