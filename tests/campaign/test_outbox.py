"""The email outbox: rendering, the hand-off after commit, delivery, retries, the rate cap, the
sweeper, and what organisers do with it in the admin.

Delivery goes through a locmem backend that can be told to fail (``FlakyBackend``), and time
through a ``clock`` the services read, so backoff, leases and the per-minute cap are exact.
"""

from __future__ import annotations

import datetime
import itertools
import smtplib
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from campaign import services, tasks
from campaign.models import OutboundEmail
from campaign.services import (
    OutboxError,
    cancel_email,
    deliver,
    enqueue_email,
    enqueue_rendered_email,
    retry_delay,
    retry_email,
    sweep_outbox,
)

TEST_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
Status = OutboundEmail.Status


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing in the worker gets to handle it."""


class FlakyBackend(LocmemBackend):
    """The locmem backend, raising the errors in ``errors`` first (one per send) and noting the
    Message-ID of every attempt and the timeout every connection was opened with."""

    errors: list[BaseException] = []
    attempted_ids: list[str] = []
    timeouts: list[float | None] = []

    def __init__(self, *args, **kwargs):
        FlakyBackend.timeouts.append(kwargs.get("timeout"))
        super().__init__(*args, **kwargs)

    def send_messages(self, messages):
        FlakyBackend.attempted_ids.extend(m.message()["Message-ID"] for m in messages)
        if FlakyBackend.errors:
            raise FlakyBackend.errors.pop(0)
        return super().send_messages(messages)


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
    FlakyBackend.errors = []
    FlakyBackend.attempted_ids = []
    FlakyBackend.timeouts = []
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

    monkeypatch.setattr(tasks.deliver_email, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        email = queue()  # no exception reaches the caller

    assert mailoutbox == []
    assert (reload(email).status, email.attempts) == (Status.QUEUED, 0)
    assert "the sweeper will retry it" in caplog.text

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
            "SMTP 450 for ada@example.org: 4.2.1 Mailbox busy",
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
            "SMTP 550 for ada@example.org: 5.1.1 No such user",
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


# --- The task -----------------------------------------------------------------------------


@pytest.fixture
def scheduled(monkeypatch) -> list[dict]:
    """Record what the task sends to the broker instead of sending it."""
    calls: list[dict] = []
    monkeypatch.setattr(
        tasks.deliver_email,
        "apply_async",
        lambda args, countdown=None: calls.append({"args": args, "countdown": countdown}),
    )
    return calls


@pytest.mark.parametrize("eager", [False, True])
def test_task_schedules_its_own_retry_only_on_a_worker(queue, clock, scheduled, eager):
    from campaign.celery import app

    app.conf.task_always_eager = eager  # the suite's autouse fixture restores it
    email = queue()
    FlakyBackend.errors = [smtplib.SMTPResponseException(451, b"Try again later")]

    assert tasks.deliver_email(email.pk) == "retry"

    if eager:  # an eager retry would run at once: the row waits for the sweeper instead
        assert scheduled == []
    else:
        wait = (reload(email).next_attempt_at - clock.now).total_seconds()
        assert scheduled == [{"args": (email.pk,), "countdown": wait}]


def test_task_leaves_a_distant_retry_to_the_sweeper(queue, scheduled, settings):
    from campaign.celery import app

    app.conf.task_always_eager = False
    settings.OUTBOX_RETRY_BASE_SECONDS = 301
    email = queue()
    FlakyBackend.errors = [smtplib.SMTPResponseException(451, b"Try again later")]

    assert tasks.deliver_email(email.pk) == "retry"

    assert scheduled == []  # a worker would hold it past Redis's visibility timeout
    assert reload(email).status == Status.QUEUED


def test_task_reschedules_a_throttled_message_for_the_next_minute(
    queue, clock, scheduled, settings
):
    from campaign.celery import app

    app.conf.task_always_eager = False
    settings.OUTBOX_RATE_PER_MINUTE = 1
    clock.now = clock.now.replace(second=10, microsecond=0)
    first, second = queue(), queue()

    assert tasks.deliver_email(first.pk) == "sent"
    assert tasks.deliver_email(second.pk) == "throttled"

    assert len(scheduled) == 1
    assert 50 <= scheduled[0]["countdown"] <= 80


def test_sweep_task_name_matches_the_beat_schedule(settings):
    assert settings.CELERY_BEAT_SCHEDULE["sweep-outbox"]["task"] == tasks.sweep_outbox.name
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

    def slow_send(message_row):
        clock.advance(301)
        assert sweep_outbox() == 1  # meanwhile the sweeper gives the row to another worker
        mail.outbox.append(message_row.message_id)

    monkeypatch.setattr(services, "_send", slow_send)
    monkeypatch.setattr(services, "queue_delivery", lambda **kwargs: True)
    assert deliver(email_id=email.pk) == "sent"

    assert reload(email).status == Status.SENT
    assert deliver(email_id=email.pk) == "skipped"
    assert mailoutbox == [email.message_id]


def test_deliver_outbox_command_sends_what_is_due(queue, mailoutbox, clock, capsys):
    due = [queue(), queue()]
    later = queue()
    OutboundEmail.objects.filter(pk=later.pk).update(
        next_attempt_at=clock.now + datetime.timedelta(minutes=5)
    )

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
