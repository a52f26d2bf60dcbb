"""Outbox priority with a real worker (commit → Redis → Celery worker → SMTP, on PostgreSQL):
a confirmation queued while a large mailing is leaving goes out in the first batch after it."""

from __future__ import annotations

import pytest
from django.db import transaction

from campaign.models import OutboundEmail
from campaign.outbox import enqueue_rendered_email

from .conftest import CeleryWorker, wait_until

pytestmark = [pytest.mark.services]

BATCH = 20
MAILING = 300


@pytest.fixture
def small_batch_worker(celery_worker, tmp_path):
    """The worker, restarted with batches of ``BATCH`` and no rate cap."""
    celery_worker.stop()
    worker = CeleryWorker(
        {**celery_worker.env, "OUTBOX_BATCH_SIZE": str(BATCH), "OUTBOX_RATE_PER_MINUTE": "0"},
        tmp_path,
        label="small-batches",
    )
    try:
        worker.start()
        yield worker
    finally:
        worker.stop()
        print(worker.log())


def queue(kind: str, to: str, key: str) -> OutboundEmail:
    return enqueue_rendered_email(
        to=to,
        kind=kind,
        language="en",
        subject=f"{kind} for {to}",
        text_body="Hello",
        dedup_key=key,
    )


def test_a_confirmation_overtakes_a_mailing_within_one_batch(small_batch_worker, smtp_server):
    smtp_server.stall(0.01, count=10 * MAILING)  # about 100 messages a second
    with transaction.atomic():
        for n in range(MAILING):
            queue("update", f"signatory{n}@example.org", f"mailing:{n}")
    smtp_server.wait_for_messages(BATCH + 1, timeout=30)  # the mailing is under way

    with transaction.atomic():
        confirmation = queue("confirm_signature", "ada@example.org", "confirm:ada")
    sent_before = len(smtp_server.messages)

    def confirmation_sent() -> bool:
        confirmation.refresh_from_db()
        return confirmation.status == OutboundEmail.Status.SENT

    wait_until(confirmation_sent, timeout=30, what="the confirmation to leave")
    ids = smtp_server.message_ids()
    position = ids.index(confirmation.message_id)
    # At most the rest of the batch being sent when it was queued went before it.
    assert sent_before <= position <= sent_before + BATCH, (sent_before, position)
    assert position < MAILING - BATCH  # well ahead of the end of the mailing
    assert OutboundEmail.objects.get(pk=confirmation.pk).priority == 0
