"""Outbox priority: what a person is waiting for (a confirmation link, a login code, "you had
already signed") leaves before news to signatories, whatever the size of the mailing, and a
mailing never takes the part of the per-minute cap kept for it. The claim's plan on
PostgreSQL starts at the partial index ``outbox_due_idx``."""

from __future__ import annotations

import itertools

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaign.models import OutboundEmail
from campaign.outbox import delivery, enqueue_rendered_email
from campaign.outbox.enqueue import priority_for
from tests.conftest import need_service

pytestmark = pytest.mark.django_db

Priority = OutboundEmail.Priority
_keys = itertools.count()


@pytest.fixture(autouse=True)
def outbox(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.OUTBOX_BATCH_SIZE = 50
    settings.OUTBOX_RATE_PER_MINUTE = 0
    settings.OUTBOX_RESERVED_PER_MINUTE = 60
    cache.clear()


def queue(kind: str, to: str = "someone@example.org") -> OutboundEmail:
    return enqueue_rendered_email(
        to=to,
        kind=kind,
        language="en",
        subject=kind,
        text_body="Hello",
        dedup_key=f"priority:{next(_keys)}",
    )


def mailing(count: int) -> list[OutboundEmail]:
    return [queue("update", to=f"signatory{n}@example.org") for n in range(count)]


@pytest.mark.parametrize(
    "kind,priority",
    [
        ("confirm_signature", Priority.WAITED_FOR),
        ("already_signed", Priority.WAITED_FOR),
        ("account_login_code", Priority.WAITED_FOR),
        ("account_email_confirmation", Priority.WAITED_FOR),
        ("update", Priority.BULK),
        ("verification_decided", Priority.NORMAL),
    ],
)
def test_the_priority_is_set_at_enqueue_from_the_kind(kind, priority):
    assert priority_for(kind) == priority
    assert queue(kind).priority == priority


def test_a_confirmation_queued_after_a_mailing_leaves_in_the_next_batch(mailoutbox):
    mailing(120)
    assert delivery.deliver_batch() == {"sent": 50}  # a batch of the mailing is under way
    confirmation = queue("confirm_signature", to="ada@example.org")
    login = queue("account_login_code", to="bo@example.org")

    assert delivery.deliver_batch() == {"sent": 50}
    sent_next = [message.to[0] for message in mailoutbox[50:100]]
    assert sent_next[:2] == ["ada@example.org", "bo@example.org"]
    confirmation.refresh_from_db()
    login.refresh_from_db()
    assert confirmation.status == login.status == OutboundEmail.Status.SENT


def test_a_mailing_leaves_room_in_the_minute_for_mail_someone_waits_for(
    mailoutbox, settings, monkeypatch
):
    from django.utils import timezone

    now = timezone.now().replace(second=5)
    monkeypatch.setattr(timezone, "now", lambda: now)  # one minute of the rate cap
    settings.OUTBOX_RATE_PER_MINUTE = 100
    settings.OUTBOX_RESERVED_PER_MINUTE = 10
    mailing(200)
    assert delivery.deliver_batch() == {"sent": 50}
    assert delivery.deliver_batch() == {"sent": 40, "throttled": 10}
    while batch := delivery.deliver_batch():  # the rest of the mailing waits for the next minute
        assert batch == {"throttled": 50}

    confirmation = queue("confirm_signature", to="ada@example.org")
    assert delivery.deliver_batch() == {"sent": 1}
    confirmation.refresh_from_db()
    assert confirmation.status == OutboundEmail.Status.SENT
    assert len(mailoutbox) == 91


def test_the_claim_starts_at_the_due_index_on_postgresql():
    need_service("PostgreSQL (query plans)", connection.vendor == "postgresql")
    now = delivery.timezone.now()
    OutboundEmail.objects.bulk_create(
        OutboundEmail(
            recipient=f"signatory{n}@example.org",
            language="en",
            kind="update",
            subject="News",
            text_body="Hello",
            message_id=f"<{n}@example.org>",
            dedup_key=f"plan:{n}",
            priority=Priority.BULK,
            next_attempt_at=now,
            status=OutboundEmail.Status.QUEUED if n % 4 == 0 else OutboundEmail.Status.SENT,
        )
        for n in range(2000)
    )
    queue("confirm_signature")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE campaign_outboundemail")
    with CaptureQueriesContext(connection) as captured:
        delivery._claim(OutboundEmail.objects.all(), limit=50, now=delivery.timezone.now())
    sql = next(q["sql"] for q in captured.captured_queries if "FOR UPDATE" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "outbox_due_idx" in plan, plan
    assert "Sort" not in plan, plan  # the index gives the order: the claim stops at its limit
