"""The outbox with a real worker: commit → Redis → Celery worker → SMTP, on PostgreSQL."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.db import transaction

from campaign.models import OutboundEmail
from campaign.outbox import enqueue_email

from .conftest import CeleryWorker, wait_until

pytestmark = [pytest.mark.services, pytest.mark.usefixtures("email_test_templates")]

Status = OutboundEmail.Status
RUN_RECEIVED = re.compile(r"Task campaign\.tasks\.deliver_outbox_batch\[[^\]]+\] received")


@pytest.fixture(autouse=True)
def shared_cache(celery_worker, redis_server, settings):
    """This process uses the worker's cache (its Redis, its key prefix), as the web processes
    and the workers share one Redis in production: the hand-off's debounce lives there."""
    settings.CACHES = {
        "default": {
            "BACKEND": "campaign.cache.RedisCache",
            "LOCATION": redis_server.url,
            "KEY_PREFIX": celery_worker.env["CACHE_KEY_PREFIX"],
        }
    }


def runs_received(worker: CeleryWorker) -> int:
    """How many delivery runs (``deliver_outbox_batch`` tasks) the worker has taken."""
    return len(RUN_RECEIVED.findall(worker.log_path.read_text()))


def queue(key: str, *, to: str = "ada@example.org", language: str = "en") -> OutboundEmail:
    with transaction.atomic():
        return enqueue_email(
            to=to, kind="outbox_test", language=language, context={"name": "Ada"}, dedup_key=key
        )


def wait_for_status(email: OutboundEmail, status: str, timeout: float = 15) -> OutboundEmail:
    def reached() -> bool:
        email.refresh_from_db()
        return email.status == status

    wait_until(reached, timeout=timeout, what=f"email {email.pk} to be {status}")
    return email


def test_worker_sends_a_committed_email_over_smtp_in_its_language(celery_worker, smtp_server):
    email = queue("worker:fr", language="fr")

    [message] = smtp_server.wait_for_messages(1, timeout=15)

    assert message["Message-ID"] == email.message_id
    assert message["To"] == "ada@example.org"
    assert message["Subject"] == "Bonjour Ada, Français"
    assert message.get_content_type() == "multipart/alternative"
    text, html = (part.get_content() for part in message.iter_parts())
    assert text.startswith("Bonjour Ada,")
    assert 'href="https://appeal.example/fr/"' in html
    email = wait_for_status(email, Status.SENT)
    assert email.attempts == 1
    assert email.sent_at is not None


def test_rolled_back_enqueue_reaches_nobody(celery_worker, smtp_server):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue("worker:rolled-back", to="ghost@example.org")
        raise RuntimeError("the signature failed")
    kept = queue("worker:kept")

    # The worker handles the queue in order: once the kept message is in, the other is not.
    smtp_server.wait_for_messages(1, timeout=15)
    wait_for_status(kept, Status.SENT)

    assert smtp_server.message_ids() == [kept.message_id]
    assert not OutboundEmail.objects.filter(dedup_key="worker:rolled-back").exists()


def test_recipient_refused_for_good_fails_without_retrying(celery_worker, smtp_server):
    smtp_server.reject_recipient("gone@example.org")
    gone = queue("worker:gone", to="gone@example.org")
    here = queue("worker:here")

    gone = wait_for_status(gone, Status.FAILED)
    wait_for_status(here, Status.SENT)

    assert gone.attempts == 1
    assert gone.last_error == "SMTP 550: 5.1.1 No such user here"
    assert smtp_server.message_ids() == [here.message_id]


def test_many_commits_hand_over_few_runs_and_each_message_leaves_once(celery_worker, smtp_server):
    smtp_server.stall(1.5)  # the first run is busy with the first message meanwhile
    emails = [queue("debounce:0", to="artist0@example.org")]
    smtp_server.wait_until_stalled(timeout=15)
    emails += [queue(f"debounce:{n}", to=f"artist{n}@example.org") for n in range(1, 30)]

    smtp_server.wait_for_messages(len(emails), timeout=20)
    for email in emails:
        wait_for_status(email, Status.SENT)

    assert Counter(smtp_server.message_ids()) == Counter(e.message_id for e in emails)
    # The worker's own as it started (nothing was due); the first commit's; then the second
    # commit's, which the 28 others found pending and which took them all in one batch.
    assert runs_received(celery_worker) == 3
    assert {e.attempts for e in OutboundEmail.objects.all()} == {1}


def test_two_workers_racing_on_the_same_messages_send_each_once(
    celery_worker, smtp_server, tmp_path
):
    from campaign import tasks

    # The second worker takes small batches, so that both have rows to claim.
    second = CeleryWorker({**celery_worker.env, "OUTBOX_BATCH_SIZE": "3"}, tmp_path, label="second")
    try:
        second.start()
        emails = [queue(f"race:{n}", to=f"artist{n}@example.org") for n in range(20)]
        for _ in range(4):  # runs and single deliveries again and again, as sweeps would send
            for email in emails:
                tasks.deliver_email.delay(email.pk)
                tasks.deliver_outbox_batch.delay()

        smtp_server.wait_for_messages(len(emails), timeout=20)
        for email in emails:
            wait_for_status(email, Status.SENT)
    finally:
        second.stop()
        print(second.log())

    assert Counter(smtp_server.message_ids()) == Counter(e.message_id for e in emails)
    assert {e.attempts for e in OutboundEmail.objects.all()} == {1}
    # Both workers took part: the claim, not luck, kept the copies apart.
    assert runs_received(celery_worker) > 0
    assert runs_received(second) > 0
