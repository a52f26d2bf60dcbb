"""The outbox with a real worker: commit → Redis → Celery worker → SMTP, on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import transaction

from campaign.models import OutboundEmail
from campaign.services import enqueue_email

from .conftest import CeleryWorker, wait_until

pytestmark = [pytest.mark.services, pytest.mark.usefixtures("email_test_templates")]

Status = OutboundEmail.Status


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
    assert gone.last_error == "SMTP 550 for gone@example.org: 5.1.1 No such user here"
    assert smtp_server.message_ids() == [here.message_id]


def test_two_workers_racing_on_the_same_messages_send_each_once(
    celery_worker, smtp_server, tmp_path
):
    from campaign import tasks

    second = CeleryWorker(celery_worker.env, tmp_path, label="second")
    try:
        second.start()
        emails = [queue(f"race:{n}", to=f"artist{n}@example.org") for n in range(5)]
        for _ in range(4):  # the same ids again and again, as repeated sweeps would send them
            for email in emails:
                tasks.deliver_email.delay(email.pk)

        smtp_server.wait_for_messages(len(emails), timeout=20)
        for email in emails:
            wait_for_status(email, Status.SENT)
    finally:
        second.stop()
        print(second.log())

    assert sorted(smtp_server.message_ids()) == sorted(e.message_id for e in emails)
    assert {e.attempts for e in OutboundEmail.objects.all()} == {1}
    # Both workers took part: the claim, not luck, kept the copies apart.
    worked = [
        "deliver_email" in log.read_text() for log in (celery_worker.log_path, second.log_path)
    ]
    assert worked == [True, True]
