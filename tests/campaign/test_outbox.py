"""The email outbox: rendering, the hand-off after commit, delivery, retries, the rate cap, the
sweeper, and what organisers do with it in the admin.

Delivery goes through a locmem backend that can be told to fail (``FlakyBackend``), and time
through a ``clock`` the services read, so backoff, leases and the per-minute cap are exact.
"""

from __future__ import annotations

import datetime
import itertools
import math
import smtplib
import threading
from pathlib import Path

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from campaign import tasks
from campaign.models import OutboundEmail
from campaign.outbox import (
    OutboxError,
    cancel_email,
    deliver,
    delivery,
    enqueue_email,
    enqueue_rendered_email,
    failures,
    handoff,
    retry_delay,
    retry_email,
    sweep_outbox,
)
from tests.conftest import need_service

TEST_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
Status = OutboundEmail.Status


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing in the worker gets to handle it."""


class FlakyBackend(LocmemBackend):
    """The locmem backend, behaving like an SMTP connection where it matters here.

    ``open()`` connects (counted in ``connections``) and ``close()`` hangs up; sending while
    closed connects for that call alone, as Django's SMTP backend does. Each message sent
    first takes the next entry of ``errors`` (``None``: it goes through) and raises it; after a
    disconnection or a socket error the connection stays dead until it is closed, as smtplib's
    does. Each ``open()`` likewise takes the next entry of ``open_errors``. Notes the Message-ID
    of every attempt and the timeout every connection object was made with.
    """

    errors: list[BaseException | None] = []
    open_errors: list[BaseException | None] = []
    attempted_ids: list[str] = []
    timeouts: list[float | None] = []
    connections = 0

    def __init__(self, *args, **kwargs):
        FlakyBackend.timeouts.append(kwargs.get("timeout"))
        super().__init__(*args, **kwargs)
        self.is_open = self.is_dead = False

    def open(self):
        if self.is_open:
            return False
        error = FlakyBackend.open_errors.pop(0) if FlakyBackend.open_errors else None
        if error is not None:
            raise error
        FlakyBackend.connections += 1
        self.is_open, self.is_dead = True, False
        return True

    def close(self):
        self.is_open = False

    def send_messages(self, messages):
        opened_here = self.open()
        try:
            FlakyBackend.attempted_ids.extend(m.message()["Message-ID"] for m in messages)
            if self.is_dead:
                raise smtplib.SMTPServerDisconnected("please run connect() first")
            error = FlakyBackend.errors.pop(0) if FlakyBackend.errors else None
            if isinstance(error, smtplib.SMTPServerDisconnected) or (
                isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)
            ):
                self.is_dead = True
            if error is not None:
                raise error
            return super().send_messages(messages)
        finally:
            if opened_here:
                self.close()


class Clock:
    def __init__(self) -> None:
        self.now = timezone.now()

    def advance(self, seconds: float) -> None:
        self.now += datetime.timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def outbox_settings(settings):
    """Test templates, the flaky backend, and the outbox settings' defaults, whatever the env."""
    engine = dict(settings.TEMPLATES[0])
    engine["DIRS"] = [*engine["DIRS"], TEST_TEMPLATES]
    settings.TEMPLATES = [engine, *settings.TEMPLATES[1:]]
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    settings.EMAIL_TIMEOUT = 7
    settings.SITE_URL = "https://appeal.example"
    settings.OUTBOX_MAX_ATTEMPTS = 6
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    settings.OUTBOX_LEASE_SECONDS = 300
    settings.OUTBOX_RATE_PER_MINUTE = 600
    settings.OUTBOX_BATCH_SIZE = 100
    FlakyBackend.errors = []
    FlakyBackend.open_errors = []
    FlakyBackend.attempted_ids = []
    FlakyBackend.timeouts = []
    FlakyBackend.connections = 0
    return settings


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Freeze the time the services and the models read; ``clock.advance(seconds)`` moves it."""
    frozen = Clock()
    monkeypatch.setattr(timezone, "now", lambda: frozen.now)
    return frozen


_keys = itertools.count()


@pytest.fixture
def queue(db):
    """Queue an ``outbox_test`` message (its task is not run: tests here are one transaction)."""

    def enqueue(**overrides) -> OutboundEmail:
        fields = {
            "to": "ada@example.org",
            "kind": "outbox_test",
            "language": "en",
            "context": {"name": "Ada"},
            "dedup_key": f"test:{next(_keys)}",
        }
        return enqueue_email(**(fields | overrides))

    return enqueue


def reload(email: OutboundEmail) -> OutboundEmail:
    email.refresh_from_db()
    return email


def due_in(email: OutboundEmail, clock: Clock, seconds: float) -> None:
    """Make ``email`` fall due ``seconds`` after the clock's now (before it, when negative)."""
    OutboundEmail.objects.filter(pk=email.pk).update(
        next_attempt_at=clock.now + datetime.timedelta(seconds=seconds)
    )


# --- Rendering ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "subject", "greeting", "language_name"),
    [
        ("en", "Hello Ada, French", "Hello Ada,", "English"),
        ("fr", "Bonjour Ada, Français", "Bonjour Ada,", "Anglais"),
    ],
)
def test_message_is_rendered_in_the_recipients_language(
    queue, language, subject, greeting, language_name
):
    email = queue(language=language)

    assert email.subject == subject  # folded onto one line
    assert email.text_body.startswith(greeting)
    assert language_name in email.text_body
    assert f"https://appeal.example/{language}/" in email.text_body
    assert f'<html lang="{language}">' in email.html_body
    assert f">{language_name}</a>" in email.html_body
    assert (email.language, email.status, email.attempts) == (language, Status.QUEUED, 0)


def test_rendering_does_not_follow_the_current_language(queue):
    from django.utils import translation

    with translation.override("fr"):
        email = queue(language="en")

    assert email.subject == "Hello Ada, French"


def test_plain_text_keeps_characters_that_html_escapes(queue):
    email = queue(context={"name": "O'Brien <Ann>"})

    assert "Hello O'Brien <Ann>," in email.text_body
    assert email.subject == "Hello O'Brien <Ann>, French"
    assert "O&#x27;Brien &lt;Ann&gt;" in email.html_body


def test_html_part_is_optional(queue, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue(kind="outbox_plain")

    assert email.html_body == ""
    assert mailoutbox[0].body == "Only words for Ada.\n"
    assert mailoutbox[0].alternatives == []


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"language": "de"}, ValueError),
        ({"to": "not an address"}, ValidationError),
        ({"headers": {"X-Note": "one\r\nBcc: everyone@example.org"}}, ValueError),
        ({"headers": {"X-Count": 3}}, ValueError),
    ],
)
def test_bad_requests_are_refused_and_leave_no_row(queue, overrides, error):
    with pytest.raises(error):
        queue(**overrides)

    assert not OutboundEmail.objects.exists()


def test_message_rendered_elsewhere_is_queued_as_given(db):
    email = enqueue_rendered_email(
        to="ada@example.org",
        kind="account_login_code",
        language="fr-ca",
        subject="Votre code\nde connexion",
        text_body="123456",
        dedup_key="account:1",
    )

    assert (email.language, email.subject, email.html_body) == ("fr", "Votre code de connexion", "")
    assert email.status == Status.QUEUED


# --- Hand-off after commit ----------------------------------------------------------------


def test_email_leaves_only_once_the_transaction_commits(
    queue, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        email = queue(headers={"List-Unsubscribe": "<https://appeal.example/u/1>"})
        assert mailoutbox == []

    assert len(callbacks) == 1
    assert len(mailoutbox) == 1
    sent = mailoutbox[0].message()
    assert sent["To"] == "ada@example.org"
    assert sent["Subject"] == "Hello Ada, French"
    assert sent["Message-ID"] == email.message_id
    assert sent["List-Unsubscribe"] == "<https://appeal.example/u/1>"
    assert mailoutbox[0].alternatives[0][1] == "text/html"
    email = reload(email)
    assert (email.status, email.attempts, email.last_error) == (Status.SENT, 1, "")
    assert email.sent_at is not None
    assert FlakyBackend.timeouts == [7]


def test_rolled_back_transaction_sends_nothing(
    queue, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queue()
        raise RuntimeError("the signature failed")

    assert callbacks == []
    assert mailoutbox == []
    assert not OutboundEmail.objects.exists()


def test_same_dedup_key_queues_and_sends_one_message(
    queue, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = queue(dedup_key="confirm:42")
        second = queue(dedup_key="confirm:42", context={"name": "Someone else"})

    assert second.pk == first.pk
    assert OutboundEmail.objects.count() == 1
    assert [m.subject for m in mailoutbox] == ["Hello Ada, French"]


def test_broker_down_at_commit_leaves_the_row_for_the_sweeper(
    queue, mailoutbox, django_capture_on_commit_callbacks, monkeypatch, caplog, clock
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.deliver_outbox_batch, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        email = queue()  # no exception reaches the caller

    assert mailoutbox == []
    assert (reload(email).status, email.attempts) == (Status.QUEUED, 0)
    assert "the sweeper will retry it" in caplog.text
    assert cache.get(handoff.PENDING_RUN_KEY) is None  # the next commit tries again

    monkeypatch.undo()  # the broker is back
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    clock.advance(61)
    assert sweep_outbox() == 1

    assert [m.message()["Message-ID"] for m in mailoutbox] == [email.message_id]
    assert reload(email).status == Status.SENT


# --- Delivery -----------------------------------------------------------------------------


def test_delivering_twice_sends_once(queue, mailoutbox):
    email = queue()

    assert deliver(email_id=email.pk) == "sent"
    assert deliver(email_id=email.pk) == "skipped"
    assert tasks.deliver_email(email.pk) == "skipped"

    assert len(mailoutbox) == 1
    assert (reload(email).status, email.attempts) == (Status.SENT, 1)


def test_message_not_yet_due_is_not_sent(queue, mailoutbox):
    email = queue()
    OutboundEmail.objects.filter(pk=email.pk).update(
        next_attempt_at=timezone.now() + datetime.timedelta(minutes=5)
    )

    assert deliver(email_id=email.pk) == "skipped"
    assert mailoutbox == []
    assert (reload(email).status, email.attempts) == (Status.QUEUED, 0)


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (smtplib.SMTPResponseException(451, b"4.3.0 Try again later"), "SMTP 451: 4.3.0 Try again"),
        (
            smtplib.SMTPRecipientsRefused({"ada@example.org": (450, b"4.2.1 Mailbox busy")}),
            "SMTP 450: 4.2.1 Mailbox busy",
        ),
        (ConnectionRefusedError(111, "Connection refused"), "Connection refused"),
        (TimeoutError("timed out"), "TimeoutError: timed out"),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), "unexpectedly closed"),
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 Bad credentials"), "SMTP 535"),
    ],
)
def test_temporary_failure_is_retried_later_with_the_same_message_id(
    queue, mailoutbox, clock, error, shown
):
    email = queue()
    FlakyBackend.errors = [error]

    assert deliver(email_id=email.pk) == "retry"

    email = reload(email)
    assert (email.status, email.attempts) == (Status.QUEUED, 1)
    assert shown in email.last_error
    wait = (email.next_attempt_at - clock.now).total_seconds()
    assert 30 <= wait <= 37.5
    assert mailoutbox == []

    clock.advance(wait - 1)
    assert deliver(email_id=email.pk) == "skipped"  # not yet
    clock.advance(1)
    assert deliver(email_id=email.pk) == "sent"

    assert (reload(email).status, email.attempts) == (Status.SENT, 2)
    assert FlakyBackend.attempted_ids == [email.message_id, email.message_id]
    assert [m.message()["Message-ID"] for m in mailoutbox] == [email.message_id]


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (
            smtplib.SMTPRecipientsRefused({"ada@example.org": (550, b"5.1.1 No such user")}),
            "SMTP 550: 5.1.1 No such user",
        ),
        (smtplib.SMTPDataError(554, b"5.7.1 Message rejected as spam"), "SMTP 554: 5.7.1"),
        (smtplib.SMTPSenderRefused(553, b"5.7.1 Sender not allowed", "appeal@x"), "SMTP 553"),
    ],
)
def test_permanent_failure_is_not_retried(queue, mailoutbox, clock, error, shown):
    email = queue()
    FlakyBackend.errors = [error]

    assert deliver(email_id=email.pk) == "failed"

    email = reload(email)
    assert (email.status, email.attempts) == (Status.FAILED, 1)
    assert shown in email.last_error
    clock.advance(24 * 3600)
    assert deliver(email_id=email.pk) == "skipped"
    assert mailoutbox == []


def test_last_attempt_fails_the_message(queue, mailoutbox, clock, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    email = queue()
    FlakyBackend.errors = [
        smtplib.SMTPResponseException(421, b"4.7.0 Too busy"),
        smtplib.SMTPResponseException(421, b"4.7.0 Still too busy"),
    ]

    assert deliver(email_id=email.pk) == "retry"
    clock.advance(3600)
    assert deliver(email_id=email.pk) == "failed"

    email = reload(email)
    assert (email.status, email.attempts) == (Status.FAILED, 2)
    assert email.last_error == "SMTP 421: 4.7.0 Still too busy (gave up after 2 attempts)"
    assert mailoutbox == []


@pytest.mark.parametrize(("attempts", "low"), [(1, 30), (2, 60), (3, 120), (4, 240), (7, 1920)])
def test_retry_delay_doubles_with_some_jitter(attempts, low):
    delays = {retry_delay(attempts=attempts) for _ in range(50)}

    assert all(low <= delay <= low * 1.25 for delay in delays)
    assert len(delays) > 1


def test_retry_delay_is_capped_at_an_hour():
    assert retry_delay(attempts=12) == 3600
    assert retry_delay(attempts=500) == 3600


def test_rate_cap_holds_messages_for_the_next_minute(queue, mailoutbox, clock, settings):
    settings.OUTBOX_RATE_PER_MINUTE = 2
    clock.now = clock.now.replace(second=10, microsecond=0)
    emails = [queue(to=f"artist{n}@example.org") for n in range(3)]

    outcomes = [deliver(email_id=email.pk) for email in emails]

    assert outcomes == ["sent", "sent", "throttled"]
    held = reload(emails[2])
    assert (held.status, held.attempts) == (Status.QUEUED, 0)
    next_minute = clock.now.replace(second=0) + datetime.timedelta(minutes=1)
    assert next_minute <= held.next_attempt_at < next_minute + datetime.timedelta(seconds=60)
    assert len(mailoutbox) == 2

    clock.now = held.next_attempt_at
    assert deliver(email_id=held.pk) == "sent"
    assert (reload(held).status, held.attempts) == (Status.SENT, 1)
    assert len(mailoutbox) == 3


def test_no_rate_cap_when_set_to_zero(queue, mailoutbox, settings):
    settings.OUTBOX_RATE_PER_MINUTE = 0
    emails = [queue(to=f"artist{n}@example.org") for n in range(5)]

    assert {deliver(email_id=email.pk) for email in emails} == {"sent"}
    assert len(mailoutbox) == 5


# --- Batches ------------------------------------------------------------------------------


def statuses(emails: list[OutboundEmail]) -> list[tuple[str, int]]:
    return [(reload(email).status, email.attempts) for email in emails]


def sent_ids() -> list[str]:
    return [m.message()["Message-ID"] for m in mail.outbox]


def test_a_batch_goes_oldest_first_over_one_connection(
    queue, mailoutbox, clock, django_assert_num_queries
):
    emails = [queue(to=f"artist{n}@example.org") for n in range(5)]
    due_in(emails[4], clock, -1)

    # Claim (a locking SELECT and one UPDATE, in a savepoint here) and one UPDATE to record.
    with django_assert_num_queries(5):
        assert delivery.deliver_batch() == {"sent": 5}

    assert sent_ids() == [emails[4].message_id] + [e.message_id for e in emails[:4]]
    assert statuses(emails) == [(Status.SENT, 1)] * 5
    assert FlakyBackend.connections == 1
    assert FlakyBackend.timeouts == [7]


def test_a_batch_takes_at_most_its_size(queue, mailoutbox, settings):
    settings.OUTBOX_BATCH_SIZE = 2
    emails = [queue(to=f"artist{n}@example.org") for n in range(3)]

    assert delivery.deliver_batch() == {"sent": 2}
    assert delivery.deliver_batch(limit=5) == {"sent": 1}
    assert delivery.deliver_batch() == {}

    assert sent_ids() == [e.message_id for e in emails]


def test_a_refused_recipient_fails_alone_and_the_others_leave(queue, mailoutbox, clock):
    emails = [queue(to=f"artist{n}@example.org") for n in range(4)]
    FlakyBackend.errors = [
        None,
        smtplib.SMTPRecipientsRefused({"artist1@example.org": (550, b"5.1.1 No such user")}),
        smtplib.SMTPRecipientsRefused({"artist2@example.org": (450, b"4.2.1 Mailbox busy")}),
        None,
    ]

    assert delivery.deliver_batch() == {"sent": 2, "failed": 1, "retry": 1}

    assert statuses(emails) == [
        (Status.SENT, 1),
        (Status.FAILED, 1),
        (Status.QUEUED, 1),
        (Status.SENT, 1),
    ]
    assert "SMTP 550" in emails[1].last_error
    assert "SMTP 450" in emails[2].last_error
    assert sent_ids() == [emails[0].message_id, emails[3].message_id]
    assert FlakyBackend.connections == 1  # a refusal leaves the conversation usable


def test_a_dropped_connection_is_opened_again_for_the_rest(queue, mailoutbox, clock):
    emails = [queue(to=f"artist{n}@example.org") for n in range(4)]
    FlakyBackend.errors = [None, smtplib.SMTPServerDisconnected("Connection unexpectedly closed")]

    assert delivery.deliver_batch() == {"sent": 3, "retry": 1}

    assert FlakyBackend.connections == 2
    assert statuses(emails) == [(Status.SENT, 1), (Status.QUEUED, 1)] + [(Status.SENT, 1)] * 2
    assert "unexpectedly closed" in emails[1].last_error

    clock.advance(40)
    assert delivery.deliver_batch() == {"sent": 1}
    assert statuses(emails)[1] == (Status.SENT, 2)
    assert sorted(sent_ids()) == sorted(e.message_id for e in emails)  # each once


def test_when_the_server_cannot_be_reached_again_the_rest_are_retried(queue, mailoutbox, clock):
    emails = [queue(to=f"artist{n}@example.org") for n in range(4)]
    FlakyBackend.errors = [None, TimeoutError("timed out")]
    FlakyBackend.open_errors = [None, ConnectionRefusedError(111, "Connection refused")]

    assert delivery.deliver_batch() == {"sent": 1, "retry": 3}

    assert statuses(emails) == [(Status.SENT, 1)] + [(Status.QUEUED, 1)] * 3
    assert "TimeoutError" in emails[1].last_error
    assert {e.last_error for e in emails[2:]} == {
        "ConnectionRefusedError: [Errno 111] Connection refused"
    }
    assert FlakyBackend.attempted_ids == [emails[0].message_id, emails[1].message_id]

    clock.advance(40)
    assert delivery.deliver_batch() == {"sent": 3}
    assert sorted(sent_ids()) == sorted(e.message_id for e in emails)


def test_the_rate_cap_holds_the_end_of_a_batch_for_the_next_minute(
    queue, mailoutbox, clock, settings
):
    settings.OUTBOX_RATE_PER_MINUTE = 3
    clock.now = clock.now.replace(second=10, microsecond=0)
    emails = [queue(to=f"artist{n}@example.org") for n in range(5)]

    assert delivery.deliver_batch() == {"sent": 3, "throttled": 2}
    assert delivery.deliver_batch() == {}  # the held ones are not due before the next minute

    held = [reload(email) for email in emails[3:]]
    assert {(email.status, email.attempts) for email in held} == {(Status.QUEUED, 0)}
    next_minute = clock.now.replace(second=0) + datetime.timedelta(minutes=1)
    assert all(
        next_minute <= e.next_attempt_at < next_minute + datetime.timedelta(seconds=31)
        for e in held
    )

    clock.now = max(e.next_attempt_at for e in held)
    assert delivery.deliver_batch() == {"sent": 2}
    assert sent_ids() == [e.message_id for e in emails]


def test_a_batch_starts_nothing_after_its_time_and_gives_the_rest_back(
    queue, mailoutbox, monkeypatch
):
    monkeypatch.setattr(delivery, "BATCH_SEND_SECONDS", 0)
    emails = [queue(to=f"artist{n}@example.org") for n in range(3)]

    # The first message always starts, so that a slow server still sees progress.
    assert delivery.deliver_batch() == {"sent": 1, "deferred": 2}

    assert statuses(emails) == [(Status.SENT, 1), (Status.QUEUED, 0), (Status.QUEUED, 0)]
    assert delivery.deliver_batch() == {"sent": 1, "deferred": 1}
    assert delivery.deliver_batch() == {"sent": 1}
    assert sent_ids() == [e.message_id for e in emails]


def test_a_run_on_a_worker_claims_again_what_a_slow_server_left_unstarted(
    queue, scheduled, mailoutbox, monkeypatch
):
    monkeypatch.setattr(delivery, "BATCH_SEND_SECONDS", 0)
    emails = [queue(to=f"artist{n}@example.org") for n in range(3)]

    # Each batch starts one message only; the run goes on with the rest, due again, instead
    # of leaving them for the sweeper.
    assert tasks.deliver_outbox_batch() == {"sent": 3, "deferred": 3}

    assert statuses(emails) == [(Status.SENT, 1)] * 3
    assert sent_ids() == [e.message_id for e in emails]
    assert scheduled == []


def test_a_run_on_a_slow_server_hands_over_the_rest_when_its_time_is_up(
    queue, scheduled, mailoutbox, monkeypatch
):
    monkeypatch.setattr(delivery, "BATCH_SEND_SECONDS", 0)
    monkeypatch.setattr(delivery, "RUN_SECONDS", 0)
    emails = [queue(to=f"artist{n}@example.org") for n in range(3)]

    assert tasks.deliver_outbox_batch() == {"sent": 1, "deferred": 2}

    assert scheduled == [None]  # a fresh run takes the two left, due
    assert statuses(emails) == [(Status.SENT, 1), (Status.QUEUED, 0), (Status.QUEUED, 0)]


def test_a_worker_killed_mid_batch_leaves_its_rows_to_the_lease(queue, mailoutbox, clock):
    emails = [queue(to=f"artist{n}@example.org") for n in range(3)]
    FlakyBackend.errors = [None, WorkerKilled()]

    with pytest.raises(WorkerKilled):
        delivery.deliver_batch()

    assert {status for status, _attempts in statuses(emails)} == {Status.SENDING}
    clock.advance(301)
    assert sweep_outbox() == 3
    # The first may or may not have left: after its lease it goes again, as documented.
    assert statuses(emails) == [(Status.SENT, 2)] * 3


def test_the_deliver_outbox_command_goes_in_batches(queue, mailoutbox, settings, capsys):
    settings.OUTBOX_BATCH_SIZE = 2
    for n in range(5):
        queue(to=f"artist{n}@example.org")

    call_command("deliver_outbox", "--limit", "3")

    assert capsys.readouterr().out.strip() == "sent: 3"
    assert FlakyBackend.connections == 2
    call_command("deliver_outbox")
    assert capsys.readouterr().out.strip() == "sent: 2"


@pytest.mark.django_db(transaction=True)
def test_two_batches_at_once_on_postgresql_never_send_a_row_twice(queue, mailoutbox, monkeypatch):
    """The first run holds its claim open; the second skips the rows it locked and takes the
    others; each row leaves once."""
    need_service("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")
    monkeypatch.setattr(handoff, "queue_batch_delivery", lambda **kwargs: True)  # commits: no runs
    emails = [queue(to=f"artist{n}@example.org") for n in range(8)]
    first_holds_its_locks, second_is_done = threading.Event(), threading.Event()
    take_rate_slots = delivery._take_rate_slots

    def slow_first_claim(now, **counts):
        if threading.current_thread().name == "first":
            first_holds_its_locks.set()
            assert second_is_done.wait(10)
        return take_rate_slots(now, **counts)

    monkeypatch.setattr(delivery, "_take_rate_slots", slow_first_claim)
    outcomes = {}

    def run(name: str, limit: int) -> None:
        try:
            outcomes[name] = delivery.deliver_batch(limit=limit)
        finally:
            connection.close()
            if name == "second":
                second_is_done.set()

    first = threading.Thread(target=run, args=("first", 5), name="first")
    first.start()
    assert first_holds_its_locks.wait(10)
    second = threading.Thread(target=run, args=("second", 8), name="second")
    second.start()
    second.join(15)
    first.join(15)

    assert outcomes == {"first": {"sent": 5}, "second": {"sent": 3}}
    assert sorted(sent_ids()) == sorted(e.message_id for e in emails)
    assert set(OutboundEmail.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}


# --- The hand-off and the tasks -----------------------------------------------------------


class Scheduled(list):
    """The countdown of each delivery run sent to the broker (``None``: at once), in order;
    ``wake_ups`` says, for each, whether it was sent as a wake-up run."""

    def __init__(self) -> None:
        super().__init__()
        self.wake_ups: list[bool] = []

    def apply_async(self, args=None, kwargs=None, countdown=None) -> None:
        self.append(countdown)
        self.wake_ups.append(bool((kwargs or {}).get("wake_up")))


@pytest.fixture
def scheduled(monkeypatch) -> Scheduled:
    """Record the delivery runs sent to the broker, instead of sending them; tasks no longer
    run eagerly."""
    from campaign.celery import app

    app.conf.task_always_eager = False  # the suite's autouse fixture restores it
    runs = Scheduled()
    monkeypatch.setattr(tasks.deliver_outbox_batch, "apply_async", runs.apply_async)
    return runs


def commit(queue, **overrides) -> OutboundEmail:
    """Queue a message in a transaction of its own, as a view does, and run the hand-off."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        return queue(**overrides)


def test_many_commits_queue_one_run_until_it_starts(queue, scheduled, mailoutbox, settings):
    settings.OUTBOX_GATHER_SECONDS = 0.5
    first = [commit(queue, to=f"early{n}@example.org") for n in range(5)]

    # One run on its way, half a second after the first commit; the other commits rely on it.
    assert scheduled == [0.5]

    assert tasks.deliver_outbox_batch() == {"sent": 5}  # it starts: the next commit needs another
    later = [commit(queue, to=f"late{n}@example.org") for n in range(3)]

    assert scheduled == [0.5, 0.5]
    assert tasks.deliver_outbox_batch() == {"sent": 3}
    assert sorted(m.to[0] for m in mailoutbox) == sorted(e.recipient for e in first + later)


def test_without_a_gathering_delay_the_run_starts_at_once(queue, scheduled, settings):
    settings.OUTBOX_GATHER_SECONDS = 0
    commit(queue), commit(queue)

    assert scheduled == [None]


@pytest.fixture
def pending_key_timeouts(monkeypatch) -> list[int]:
    """Record the lifetime given to the debounce key each time a commit adds it."""
    timeouts: list[int] = []
    add_key = handoff._add_key

    def recording_add_key(key: str, *, timeout: int) -> bool:
        if key == handoff.PENDING_RUN_KEY:
            timeouts.append(timeout)
        return add_key(key, timeout=timeout)

    monkeypatch.setattr(handoff, "_add_key", recording_add_key)
    return timeouts


@pytest.mark.parametrize("gather", [0.5, 2])
def test_a_gathered_runs_debounce_expires_seconds_after_it_was_due(
    queue, scheduled, pending_key_timeouts, settings, gather
):
    # A worker killed while it holds the gathered run loses it: the next commit, on another
    # worker's watch, sends a new run within seconds rather than half a minute.
    settings.OUTBOX_GATHER_SECONDS = gather
    commit(queue)

    assert scheduled == [gather]
    [timeout] = pending_key_timeouts
    assert gather < timeout <= math.ceil(gather) + 10 < handoff.PENDING_RUN_TIMEOUT


def test_a_run_sent_at_once_keeps_the_long_debounce(
    queue, scheduled, pending_key_timeouts, settings
):
    settings.OUTBOX_GATHER_SECONDS = 0
    commit(queue)

    assert pending_key_timeouts == [handoff.PENDING_RUN_TIMEOUT]


def test_a_run_deletes_the_pending_key_before_it_looks_for_rows(queue, scheduled, monkeypatch):
    cache.add(handoff.PENDING_RUN_KEY, 1)
    seen_while_claiming = []
    claim = delivery._claim

    def watching_claim(*args, **kwargs):
        seen_while_claiming.append(cache.get(handoff.PENDING_RUN_KEY))
        return claim(*args, **kwargs)

    monkeypatch.setattr(delivery, "_claim", watching_claim)
    tasks.deliver_outbox_batch()

    assert seen_while_claiming == [None]


def test_a_run_with_more_than_a_batch_lets_another_worker_join_at_once(
    queue, scheduled, settings, mailoutbox, monkeypatch
):
    settings.OUTBOX_BATCH_SIZE = 2
    for n in range(5):
        queue(to=f"artist{n}@example.org")
    sent_before_the_hand_over = []
    hand_over = handoff.queue_batch_delivery

    def watching_hand_over() -> bool:
        sent_before_the_hand_over.append(len(mailoutbox))
        return hand_over()

    monkeypatch.setattr(handoff, "queue_batch_delivery", watching_hand_over)

    assert tasks.deliver_outbox_batch() == {"sent": 5}

    # Before each batch while more than a batch is due (the second finds the first pending).
    assert sent_before_the_hand_over == [0, 2]
    assert scheduled == [None]
    assert FlakyBackend.connections == 3


def test_a_run_with_one_batch_or_less_hands_nothing_over(queue, scheduled, settings):
    settings.OUTBOX_BATCH_SIZE = 2
    queue(), queue()

    assert tasks.deliver_outbox_batch() == {"sent": 2}

    assert scheduled == []


def test_a_run_out_of_time_hands_over_the_rest(queue, scheduled, settings, monkeypatch):
    settings.OUTBOX_BATCH_SIZE = 2
    monkeypatch.setattr(delivery, "RUN_SECONDS", 0)
    emails = [queue(to=f"artist{n}@example.org") for n in range(5)]

    assert tasks.deliver_outbox_batch() == {"sent": 2}

    assert scheduled == [None]
    assert [reload(email).status for email in emails] == [Status.SENT] * 2 + [Status.QUEUED] * 3


@pytest.mark.parametrize("task", ["deliver_outbox_batch", "deliver_email"])
def test_a_retry_schedules_a_run_for_when_it_falls_due(queue, clock, scheduled, task):
    email = queue()
    FlakyBackend.errors = [smtplib.SMTPResponseException(451, b"Try again later")]

    if task == "deliver_email":
        assert tasks.deliver_email(email.pk) == "retry"
    else:
        assert tasks.deliver_outbox_batch() == {"retry": 1}

    due = reload(email).next_attempt_at.timestamp()
    assert len(scheduled) == 1
    assert scheduled[0] == math.ceil(due) - clock.now.timestamp()  # the second after it
    assert tasks.deliver_email(email.pk) == "skipped"  # not due yet: no second wake-up
    assert len(scheduled) == 1


def test_a_wake_up_run_schedules_the_next_waiting_message_even_when_it_sends_all_it_found(
    queue, clock, scheduled
):
    # Two messages refused at once wait for retries a second or two apart: the run schedules
    # one wake-up, for the first.
    first, second = (queue(to=f"artist{n}@example.org") for n in range(2))
    FlakyBackend.errors = [smtplib.SMTPResponseException(451, b"Try again later")] * 2
    assert tasks.deliver_outbox_batch() == {"retry": 2}
    due_in(first, clock, 30.2)
    due_in(second, clock, 32.5)
    cache.clear()
    assert handoff.queue_batch_delivery_when_due() is True
    assert scheduled.wake_ups[-1] is True

    # That wake-up finds the first due and sends it: nothing failed, yet the second message
    # gets its own wake-up, or it would wait for the sweeper.
    clock.advance(31)
    assert tasks.deliver_outbox_batch(wake_up=True) == {"sent": 1}

    due = reload(second).next_attempt_at.timestamp()
    assert scheduled[-1] == math.ceil(due) - clock.now.timestamp()
    assert scheduled.wake_ups[-1] is True
    assert reload(second).status == Status.QUEUED
    assert FlakyBackend.attempted_ids.count(first.message_id) == 2


def test_a_run_that_is_no_wake_up_and_sends_all_it_found_schedules_nothing(queue, clock, scheduled):
    sent, waiting = queue(), queue(to="later@example.org")
    due_in(waiting, clock, 40)

    assert tasks.deliver_outbox_batch() == {"sent": 1}

    assert scheduled == []  # the waiting message's wake-up is the business of the run before
    assert reload(sent).status == Status.SENT


def test_a_worker_becoming_ready_sends_a_wake_up_run_at_once(scheduled):
    assert handoff.worker_started() is True

    assert scheduled == [None]
    assert scheduled.wake_ups == [True]


def test_runs_waiting_for_the_same_second_are_scheduled_once(queue, clock, scheduled):
    emails = [queue(to=f"artist{n}@example.org") for n in range(2)]
    FlakyBackend.errors = [smtplib.SMTPResponseException(451, b"Try again later")] * 2
    for email in emails:
        tasks.deliver_email(email.pk)
    same = clock.now + datetime.timedelta(seconds=40.5)
    OutboundEmail.objects.update(next_attempt_at=same)
    cache.clear()

    assert handoff.queue_batch_delivery_when_due() is True
    assert handoff.queue_batch_delivery_when_due() is True

    assert scheduled[-1] == math.ceil(same.timestamp()) - clock.now.timestamp()
    assert len(scheduled) == 3


def test_task_runs_eagerly_without_scheduling_anything(queue, monkeypatch):
    sent: list = []
    monkeypatch.setattr(handoff, "start_batch_delivery", lambda **kwargs: sent.append(kwargs))
    email = queue()
    FlakyBackend.errors = [smtplib.SMTPResponseException(451, b"Try again later")]

    # Eager (the suite's default, and the embedded default): a wake-up would run at once.
    assert tasks.deliver_outbox_batch.apply().get() == {"retry": 1}

    assert sent == []
    assert reload(email).status == Status.QUEUED


def test_task_leaves_a_distant_retry_to_the_sweeper(queue, scheduled, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 301
    email = queue()
    FlakyBackend.errors = [smtplib.SMTPResponseException(451, b"Try again later")]

    assert tasks.deliver_outbox_batch() == {"retry": 1}

    assert scheduled == []  # a worker would hold it past Redis's visibility timeout
    assert reload(email).status == Status.QUEUED


def test_task_reschedules_throttled_messages_for_the_next_minute(queue, clock, scheduled, settings):
    settings.OUTBOX_RATE_PER_MINUTE = 1
    clock.now = clock.now.replace(second=10, microsecond=0)
    queue(), queue()

    assert tasks.deliver_outbox_batch() == {"sent": 1, "throttled": 1}

    assert len(scheduled) == 1
    assert 50 <= scheduled[0] <= 81


def test_task_names_match_the_beat_schedule_and_the_broker(settings):
    assert settings.CELERY_BEAT_SCHEDULE["sweep-outbox"]["task"] == tasks.sweep_outbox.name
    assert tasks.deliver_outbox_batch.name == "campaign.tasks.deliver_outbox_batch"
    assert tasks.deliver_email.name == "campaign.tasks.deliver_email"


# --- The sweeper --------------------------------------------------------------------------


def kill_worker_while_sending(email: OutboundEmail) -> None:
    FlakyBackend.errors = [WorkerKilled()]
    with pytest.raises(WorkerKilled):
        deliver(email_id=email.pk)
    assert reload(email).status == Status.SENDING


def test_sweeper_requeues_expired_leases_and_leaves_fresh_ones(queue, mailoutbox, clock):
    abandoned, busy = queue(), queue()
    kill_worker_while_sending(abandoned)
    clock.advance(301)
    kill_worker_while_sending(busy)  # claimed just now: its worker may still be talking SMTP

    assert sweep_outbox() == 1

    abandoned, busy = reload(abandoned), reload(busy)
    assert (abandoned.status, abandoned.attempts) == (Status.SENT, 2)
    assert "worker stopped while sending" in abandoned.last_error
    assert busy.status == Status.SENDING
    assert [m.message()["Message-ID"] for m in mailoutbox] == [abandoned.message_id]


def test_sweeper_hands_over_overdue_rows_after_a_grace(queue, mailoutbox, clock):
    lost = queue()  # committed, but its task never reached a worker

    clock.advance(59)
    assert sweep_outbox() == 0
    clock.advance(2)
    assert sweep_outbox() == 1

    assert (reload(lost).status, lost.attempts) == (Status.SENT, 1)
    assert len(mailoutbox) == 1
    assert sweep_outbox() == 0


def test_sweeper_leaves_waiting_retries_alone(queue, mailoutbox, clock):
    email = queue()
    FlakyBackend.errors = [smtplib.SMTPResponseException(451, b"Try again later")]
    deliver(email_id=email.pk)

    clock.advance(20)
    assert sweep_outbox() == 0
    assert reload(email).status == Status.QUEUED


def test_sweeper_gives_up_on_a_message_whose_worker_died_on_every_attempt(
    queue, mailoutbox, clock, settings
):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    email = queue()
    kill_worker_while_sending(email)
    clock.advance(301)

    assert sweep_outbox() == 0

    email = reload(email)
    assert email.status == Status.FAILED
    assert "may or may not have been delivered" in email.last_error
    assert mailoutbox == []


def test_a_send_that_outlived_its_lease_is_not_sent_again(queue, mailoutbox, clock, monkeypatch):
    email = queue()

    def slow_send(message_row, connection):
        clock.advance(301)
        assert sweep_outbox() == 1  # meanwhile the sweeper gives the row to another worker
        mail.outbox.append(message_row.message_id)

    monkeypatch.setattr(delivery, "_send_message", slow_send)
    monkeypatch.setattr(handoff, "start_batch_delivery", lambda **kwargs: True)
    assert deliver(email_id=email.pk) == "sent"

    assert reload(email).status == Status.SENT
    assert deliver(email_id=email.pk) == "skipped"
    assert mailoutbox == [email.message_id]


def test_deliver_outbox_command_sends_what_is_due(queue, mailoutbox, clock, capsys):
    due = [queue(), queue()]
    later = queue()
    due_in(later, clock, 300)

    call_command("deliver_outbox")

    assert capsys.readouterr().out.strip() == "sent: 2"
    assert {reload(email).status for email in due} == {Status.SENT}
    assert reload(later).status == Status.QUEUED
    call_command("deliver_outbox")
    assert capsys.readouterr().out.strip() == "No email was due."


# --- Cancel and retry ---------------------------------------------------------------------


def test_cancelled_message_never_leaves(queue, mailoutbox, clock):
    email = queue()

    cancel_email(email_id=email.pk)
    cancel_email(email_id=email.pk)  # harmless
    clock.advance(3600)

    assert deliver(email_id=email.pk) == "skipped"
    assert sweep_outbox() == 0
    assert reload(email).status == Status.CANCELLED
    assert mailoutbox == []


def test_retrying_a_failed_message_sends_it_with_fresh_attempts(
    queue, mailoutbox, django_capture_on_commit_callbacks
):
    email = queue()
    FlakyBackend.errors = [smtplib.SMTPDataError(554, b"5.7.1 Rejected")]
    deliver(email_id=email.pk)
    assert reload(email).status == Status.FAILED

    with django_capture_on_commit_callbacks(execute=True):
        retry_email(email_id=email.pk)

    email = reload(email)
    assert (email.status, email.attempts) == (Status.SENT, 1)
    assert [m.message()["Message-ID"] for m in mailoutbox] == [email.message_id]


@pytest.mark.parametrize("service", [retry_email, cancel_email])
def test_a_message_that_has_left_cannot_be_retried_or_cancelled(queue, mailoutbox, service):
    email = queue()
    deliver(email_id=email.pk)

    with pytest.raises(OutboxError):
        service(email_id=email.pk)

    assert reload(email).status == Status.SENT
    assert len(mailoutbox) == 1


# --- Admin --------------------------------------------------------------------------------

CHANGELIST = "admin:campaign_outboundemail_changelist"


@pytest.fixture
def failed_email(queue):
    email = queue(to="bounced@example.org")
    FlakyBackend.errors = [
        smtplib.SMTPRecipientsRefused({"bounced@example.org": (550, b"5.1.1 No such user")})
    ]
    deliver(email_id=email.pk)
    return reload(email)


def test_admin_lists_failed_messages_with_their_error(admin_client, failed_email, queue):
    queue(to="waiting@example.org")

    response = admin_client.get(reverse(CHANGELIST), {"status__exact": "failed"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "bounced@example.org" in page
    assert "5.1.1 No such user" in page
    assert "waiting@example.org" not in page


def test_admin_shows_a_message_without_letting_anyone_edit_it(admin_client, failed_email):
    url = reverse("admin:campaign_outboundemail_change", args=[failed_email.pk])

    page = admin_client.get(url).content.decode()

    assert "Hello Ada," in page
    assert 'name="text_body"' not in page
    assert 'name="status"' not in page
    assert admin_client.get(reverse("admin:campaign_outboundemail_add")).status_code == 403


def test_admin_action_sends_failed_messages_again(
    admin_client, failed_email, queue, mailoutbox, django_capture_on_commit_callbacks
):
    sent = queue()
    deliver(email_id=sent.pk)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse(CHANGELIST),
            {"action": "retry", "_selected_action": [failed_email.pk, sent.pk]},
            follow=True,
        )

    page = response.content.decode()
    assert "1 email queued to be sent again." in page
    assert "1 email was left as it was" in page
    assert (reload(failed_email).status, failed_email.attempts) == (Status.SENT, 1)
    assert [m.to for m in mailoutbox] == [["bounced@example.org"]]


def test_admin_action_cancels_queued_messages(admin_client, queue, mailoutbox):
    first, second = queue(), queue()

    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "cancel", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )

    assert "2 emails cancelled." in response.content.decode()
    assert {reload(first).status, reload(second).status} == {Status.CANCELLED}
    assert deliver(email_id=first.pk) == "skipped"
    assert mailoutbox == []


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPRecipientsRefused(
            {"ada@example.org": (550, b"5.1.1 <ada@example.org> unknown")}
        ),
        smtplib.SMTPResponseException(554, b"Rejected: ada@example.org is on a block list"),
        ValueError("Invalid address 'ada@example.org\\n'"),
    ],
)
def test_an_error_never_names_an_address(error):
    """The error is logged and kept on the row: the recipient's address never appears in it."""
    text = failures.describe_error(error)
    assert "ada@example.org" not in text and "example.org" not in text
    assert "<address>" in text


def test_an_erased_message_cannot_be_sent_again(failed_email):
    OutboundEmail.objects.filter(pk=failed_email.pk).update(
        recipient=OutboundEmail.ERASED_RECIPIENT, text_body="", html_body="", subject=""
    )
    with pytest.raises(OutboxError, match="erased"):
        retry_email(email_id=failed_email.pk)
    failed_email.refresh_from_db()
    assert failed_email.status == Status.FAILED
