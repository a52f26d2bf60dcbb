"""Writes that matter for the campaign itself, and the email outbox (every message the site
sends is queued by ``enqueue_email`` and delivered by ``deliver``)."""

from __future__ import annotations

import datetime
import logging
import random
import smtplib
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection, make_msgid
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.template import Context, TemplateDoesNotExist, loader
from django.utils import timezone, translation
from django.utils.translation import gettext

from . import content
from .models import (
    Campaign,
    Demand,
    KeyMessage,
    LaunchSupporter,
    OutboundEmail,
    Solution,
    Stake,
)

ITEM_LISTS = (
    (KeyMessage, content.KEY_MESSAGES),
    (Demand, content.DEMANDS),
    (Stake, content.STAKES),
    (Solution, content.SOLUTIONS),
)


def _translated(field: str, values: dict[str, str]) -> dict[str, str]:
    return {f"{field}_{language}": text for language, text in values.items()}


@transaction.atomic
def install_launch_content(*, update: bool = False) -> tuple[Campaign, bool]:
    """Install "Stealing Isn't Innovation" from ``campaign.content``.

    Returns ``(campaign, changed)``. When the campaign already exists it is left exactly as
    organisers edited it, unless ``update`` is true, in which case its text and lists are
    replaced by the launch content (the signature count is never touched).
    """
    existing = Campaign.objects.filter(slug=content.SLUG).first()
    if existing and not update:
        return existing, False

    fields = {"goal": content.CAMPAIGN["goal"], "launch_date": content.CAMPAIGN["launch_date"]}
    for name in ("title", "summary", "appeal", "why_it_matters", "about"):
        fields |= _translated(name, content.CAMPAIGN[name])
    if existing is None:
        fields["status"] = content.CAMPAIGN["status"]
    campaign, _created = Campaign.objects.update_or_create(slug=content.SLUG, defaults=fields)

    for model, items in ITEM_LISTS:
        model.objects.filter(campaign=campaign).delete()
        model.objects.bulk_create(
            model(
                campaign=campaign,
                position=position,
                **_translated("title", item["title"]),
                **_translated("body", item["body"]),
            )
            for position, item in enumerate(items, start=1)
        )
    LaunchSupporter.objects.filter(campaign=campaign).delete()
    LaunchSupporter.objects.bulk_create(
        LaunchSupporter(campaign=campaign, position=position, name=name, field_of_work=field)
        for position, (name, field) in enumerate(content.LAUNCH_SUPPORTERS, start=1)
    )
    return campaign, True


# --- The email outbox ---------------------------------------------------------------------
#
# Every message the site sends is an ``OutboundEmail`` row first, written in the transaction
# that makes it necessary; a Celery task delivers it after the commit. Delivery claims the
# row under a lock and sends outside any transaction; ``sweep_outbox`` (beat, every minute)
# hands over again whatever a broker outage or a dead worker left behind.

logger = logging.getLogger(__name__)

# Longest wait between two attempts, whatever the backoff says.
MAX_RETRY_DELAY_SECONDS = 3600
# A queued row is swept only this long after it fell due, so that the sweeper does not race
# the task already on its way (capped by OUTBOX_LEASE_SECONDS, which tests make short).
SWEEP_GRACE_SECONDS = 60
# At most this many rows are handed over per sweep; the next sweep takes the rest.
SWEEP_BATCH = 1000
# A retry further away than this is not scheduled on the broker but left to the sweeper: a
# worker holds every scheduled task in memory, and Redis hands a task held longer than its
# visibility timeout (10 minutes) to another worker.
MAX_COUNTDOWN_SECONDS = 300
MAX_ERROR_LENGTH = 2000
RATE_KEY = "outbox:sent-in-minute:{}"


class OutboxError(Exception):
    """An organiser asked for something the message's state does not allow."""


class Outcome(StrEnum):
    """What one delivery run did (``deliver`` returns it; it is a ``str``)."""

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    THROTTLED = "throttled"
    SKIPPED = "skipped"


# After these outcomes the row waits, queued, for a later attempt.
WAITING_OUTCOMES = frozenset({Outcome.RETRY, Outcome.THROTTLED})


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text_body: str
    html_body: str


def render_email(*, kind: str, language: str, context: dict) -> RenderedEmail:
    """Render message ``kind`` in ``language`` from ``email/<kind>_subject.txt``,
    ``email/<kind>.txt`` and, if it exists, ``email/<kind>.html``.

    The context gains ``SITE_URL`` and ``LANGUAGE_CODE``. The subject is folded onto one line.
    The subject and plain-text body are rendered without HTML autoescaping (they are not HTML:
    "O'Brien" must not arrive as "O&#x27;Brien"); the HTML body is escaped as usual.
    Raises ``TemplateDoesNotExist`` when a required template is missing.
    """
    context = {**context, "SITE_URL": settings.SITE_URL, "LANGUAGE_CODE": language}
    with translation.override(language):
        subject = " ".join(_render_plain(f"email/{kind}_subject.txt", context).split())
        text_body = _render_plain(f"email/{kind}.txt", context).strip() + "\n"
        try:
            html_template = loader.get_template(f"email/{kind}.html")
        except TemplateDoesNotExist:
            html_body = ""
        else:
            html_body = html_template.render(context)
    return RenderedEmail(subject=subject, text_body=text_body, html_body=html_body)


def _render_plain(template_name: str, context: dict) -> str:
    # The backend's wrapper always autoescapes; render its underlying template directly.
    return loader.get_template(template_name).template.render(Context(context, autoescape=False))


def enqueue_email(
    *,
    to: str,
    kind: str,
    language: str,
    context: dict,
    dedup_key: str,
    headers: dict | None = None,
) -> OutboundEmail:
    """Queue message ``kind`` for ``to``, rendered now in ``language``; it leaves after commit.

    Call it inside the transaction that makes the message necessary: if that transaction rolls
    back, no row remains and nothing is sent. Once it commits, the row's id goes to the
    ``deliver_email`` task (run at once on the embedded default); if the broker is down, the
    row waits for ``sweep_outbox``, and the caller sees no error. ``dedup_key`` makes the call
    idempotent: when a row with that key exists it is returned, and nothing is rendered,
    created or sent. ``headers`` are extra message headers (e.g. ``List-Unsubscribe``).

    Raises ``ValueError`` for a language the site does not speak or a header that could inject
    others, ``ValidationError`` for an invalid address, ``TemplateDoesNotExist`` for a ``kind``
    without templates.
    """
    existing = OutboundEmail.objects.filter(dedup_key=dedup_key).first()
    if existing is not None:
        return existing
    language = _site_language(language)
    validate_email(to)
    headers = _checked_headers(headers or {})
    rendered = render_email(kind=kind, language=language, context=context)
    return _queue(
        to=to, kind=kind, language=language, rendered=rendered, dedup_key=dedup_key, headers=headers
    )


def enqueue_rendered_email(
    *,
    to: str,
    kind: str,
    language: str,
    subject: str,
    text_body: str,
    html_body: str = "",
    dedup_key: str,
    headers: dict | None = None,
) -> OutboundEmail:
    """Queue a message someone else rendered (django-allauth renders its own mail); otherwise
    exactly like ``enqueue_email``: same transaction rules, same idempotence, same errors
    (except ``TemplateDoesNotExist``)."""
    existing = OutboundEmail.objects.filter(dedup_key=dedup_key).first()
    if existing is not None:
        return existing
    language = _site_language(language)
    validate_email(to)
    headers = _checked_headers(headers or {})
    rendered = RenderedEmail(
        subject=" ".join(subject.split()), text_body=text_body, html_body=html_body
    )
    return _queue(
        to=to, kind=kind, language=language, rendered=rendered, dedup_key=dedup_key, headers=headers
    )


def _site_language(language: str) -> str:
    """The site's language for ``language`` ("fr-ca" → "fr"); ``ValueError`` if it has none."""
    try:
        return translation.get_supported_language_variant(language)
    except LookupError:
        raise ValueError(f"The site does not speak {language!r}.") from None


def _queue(
    *,
    to: str,
    kind: str,
    language: str,
    rendered: RenderedEmail,
    dedup_key: str,
    headers: dict[str, str],
) -> OutboundEmail:
    """Store the row and send its id to the queue once the transaction commits."""
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                recipient=to,
                language=language,
                kind=kind,
                subject=rendered.subject[:255],
                text_body=rendered.text_body,
                html_body=rendered.html_body,
                headers=headers,
                message_id=make_msgid(domain=urlsplit(settings.SITE_URL).hostname or "localhost"),
                dedup_key=dedup_key,
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:
        # A concurrent transaction queued the same key and committed first: that row wins.
        return OutboundEmail.objects.get(dedup_key=dedup_key)
    transaction.on_commit(partial(queue_delivery, email_id=email.pk))
    return email


def _checked_headers(headers: dict) -> dict[str, str]:
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise ValueError("Email header names and values must be strings.")
        if any(char in name + value for char in "\r\n") or ":" in name:
            raise ValueError(f"Email header {name!r} would break the message's headers.")
    return dict(headers)


def queue_delivery(*, email_id: int, countdown: float | None = None) -> bool:
    """Hand message ``email_id`` to the ``deliver_email`` task; says whether that worked.

    Never raises: when the broker is unreachable (or, on the embedded default, the eager run
    failed unexpectedly) the row stays ``queued`` and ``sweep_outbox`` hands it over again, so
    an outage cannot turn the request that queued the message into an error.
    """
    from .tasks import deliver_email

    try:
        deliver_email.apply_async((email_id,), countdown=countdown)
    except Exception:
        logger.warning(
            "Outbox: email %s could not be handed to the queue; the sweeper will retry it.",
            email_id,
            exc_info=True,
        )
        return False
    return True


def queue_delivery_when_due(*, email_id: int) -> bool:
    """Hand a queued message to the task again, to run at its ``next_attempt_at``; says
    whether it did. A message due in more than ``MAX_COUNTDOWN_SECONDS`` is left for
    ``sweep_outbox``, which picks it up soon after it falls due."""
    next_attempt_at = (
        OutboundEmail.objects.filter(pk=email_id, status=OutboundEmail.Status.QUEUED)
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if next_attempt_at is None:
        return False
    countdown = max(0.0, (next_attempt_at - timezone.now()).total_seconds())
    if countdown > MAX_COUNTDOWN_SECONDS:
        return False
    return queue_delivery(email_id=email_id, countdown=countdown)


def deliver(*, email_id: int) -> str:
    """Send message ``email_id`` if it is queued and due: the unit of work of ``deliver_email``.

    Safe to run any number of times, on any number of workers: the row is claimed under a row
    lock (``queued → sending``, one more attempt) in a short transaction, so one run sends it
    and the others find it taken. The SMTP conversation happens after that commit, outside any
    transaction. Returns an ``Outcome``:

    - ``"sent"``: the backend accepted it; the row is ``sent``.
    - ``"retry"``: a temporary failure (SMTP 4xx, refused or dropped connection, timeout); the
      row is ``queued`` again, its next attempt after a growing, jittered delay.
    - ``"failed"``: a permanent failure (SMTP 5xx, malformed message), or the last attempt.
    - ``"throttled"``: ``OUTBOX_RATE_PER_MINUTE`` messages already left this minute; the row
      waits for the next minute, no attempt counted.
    - ``"skipped"``: not queued, not yet due, or being claimed by another worker right now.

    Delivery errors are recorded on the row (``last_error``), never raised.
    """
    claimed = _claim(email_id=email_id, now=timezone.now())
    if not isinstance(claimed, OutboundEmail):
        return claimed
    try:
        _send(claimed)
    except Exception as exc:
        return _record_failure(claimed, exc)
    return _record_sent(claimed)


def _claim(*, email_id: int, now: datetime.datetime) -> OutboundEmail | Outcome:
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .due(now)
            .filter(pk=email_id)
            .first()
        )
        if email is None:
            return Outcome.SKIPPED
        if not _take_rate_slot(now):
            email.next_attempt_at = _in_next_minute(now)
            email.save(update_fields=["next_attempt_at", "updated_at"])
            return Outcome.THROTTLED
        email.status = OutboundEmail.Status.SENDING
        email.claimed_at = now
        email.attempts += 1
        email.save(update_fields=["status", "claimed_at", "attempts", "updated_at"])
    return email


def _take_rate_slot(now: datetime.datetime) -> bool:
    """Count one message against this minute's cap, shared by all workers through the cache."""
    cap = settings.OUTBOX_RATE_PER_MINUTE
    if cap <= 0:
        return True
    key = RATE_KEY.format(int(now.timestamp()) // 60)
    cache.add(key, 0, timeout=120)
    return cache.incr(key) <= cap


def _in_next_minute(now: datetime.datetime) -> datetime.datetime:
    next_minute = (int(now.timestamp()) // 60 + 1) * 60
    # Spread the waiting rows over the first half of the minute rather than all at its start.
    return datetime.datetime.fromtimestamp(next_minute + random.uniform(0, 30), tz=datetime.UTC)


def _send(email: OutboundEmail) -> None:
    connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.recipient],
        headers={**email.headers, "Message-ID": email.message_id},
        connection=connection,
    )
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    if message.send() != 1:
        raise RuntimeError("The email backend accepted nothing and gave no reason.")


def _still_claimed(email: OutboundEmail) -> models.QuerySet:
    """The row, if this run's claim still holds (the sweeper may have given it to another)."""
    return OutboundEmail.objects.filter(
        pk=email.pk, status=OutboundEmail.Status.SENDING, claimed_at=email.claimed_at
    )


def _record_sent(email: OutboundEmail) -> Outcome:
    now = timezone.now()
    # A row swept back to queued while this slow send went on is marked sent too, so that it
    # does not leave a second time.
    updated = OutboundEmail.objects.filter(
        pk=email.pk, status__in=[OutboundEmail.Status.SENDING, OutboundEmail.Status.QUEUED]
    ).update(status=OutboundEmail.Status.SENT, sent_at=now, updated_at=now)
    if not updated:
        logger.warning("Outbox: email %s was sent, but its row had moved on.", email.pk)
    return Outcome.SENT


def _record_failure(email: OutboundEmail, exc: Exception) -> Outcome:
    error = describe_error(exc)
    now = timezone.now()
    if is_permanent_error(exc):
        outcome, changes = Outcome.FAILED, {"status": OutboundEmail.Status.FAILED}
    elif email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        error = f"{error} (gave up after {email.attempts} attempts)"
        outcome, changes = Outcome.FAILED, {"status": OutboundEmail.Status.FAILED}
    else:
        delay = datetime.timedelta(seconds=retry_delay(attempts=email.attempts))
        outcome = Outcome.RETRY
        changes = {"status": OutboundEmail.Status.QUEUED, "next_attempt_at": now + delay}
    if not _still_claimed(email).update(**changes, last_error=error, updated_at=now):
        logger.warning("Outbox: email %s failed (%s), but its row had moved on.", email.pk, error)
        return Outcome.SKIPPED
    log = logger.warning if outcome == Outcome.FAILED else logger.info
    log("Outbox: email %s attempt %s: %s (%s)", email.pk, email.attempts, error, outcome)
    return outcome


def retry_delay(*, attempts: int) -> float:
    """Seconds to wait after ``attempts`` failed attempts: ``OUTBOX_RETRY_BASE_SECONDS``
    doubled for each failure after the first, plus up to a quarter more at random (so that
    messages refused together do not come back together), never more than an hour."""
    delay = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return min(MAX_RETRY_DELAY_SECONDS, delay * random.uniform(1.0, 1.25))


def is_permanent_error(exc: Exception) -> bool:
    """Whether sending again cannot help: SMTP 5xx refusals and malformed messages.

    Everything else (SMTP 4xx, refused or dropped connections, timeouts, socket errors and
    errors we do not know) is treated as temporary, within ``OUTBOX_MAX_ATTEMPTS``. An SMTP
    authentication failure is our configuration, not the message: temporary too, so messages
    leave once the credentials are fixed.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _reply in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return False
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return isinstance(exc, ValueError)  # bad header, unencodable address: it would fail again


def describe_error(exc: Exception) -> str:
    """One line an organiser can read in the admin, e.g. "SMTP 451: Try again later"."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        text = "; ".join(
            f"SMTP {code} for {recipient}: {_reply_text(reply)}"
            for recipient, (code, reply) in exc.recipients.items()
        )
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"SMTP {exc.smtp_code}: {_reply_text(exc.smtp_error)}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text[:MAX_ERROR_LENGTH]


def _reply_text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def sweep_outbox() -> int:
    """Hand every stuck message to the queue again; returns how many were handed over.

    Stuck means ``sending`` for longer than ``OUTBOX_LEASE_SECONDS`` (its worker died or hung:
    the row goes back to ``queued``, or to ``failed`` when it has used all its attempts, as it
    may or may not have left), or ``queued`` and overdue by more than a short grace (its task
    never reached the broker, or the broker lost it). Celery beat runs it every minute; it is
    safe to run at any time, since delivery claims each row under a lock. This is what makes
    a Redis outage or a killed worker lose no mail.
    """
    now = timezone.now()
    released = release_expired_leases(now=now)
    grace = datetime.timedelta(seconds=min(SWEEP_GRACE_SECONDS, settings.OUTBOX_LEASE_SECONDS))
    overdue = list(
        OutboundEmail.objects.overdue(now - grace)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[: max(0, SWEEP_BATCH - len(released))]
    )
    for email_id in released + overdue:
        queue_delivery(email_id=email_id)
    if released or overdue:
        logger.info("Outbox sweep: %s leases expired, %s overdue.", len(released), len(overdue))
    return len(released) + len(overdue)


def release_expired_leases(*, now: datetime.datetime) -> list[int]:
    """Put back to ``queued`` the rows whose worker has held them past the lease; return their
    ids. Rows that have used all their attempts become ``failed`` instead."""
    cutoff = now - datetime.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    with transaction.atomic():
        stuck = list(
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .lease_expired(cutoff)
            .order_by("claimed_at")
            .values_list("pk", "attempts")[:SWEEP_BATCH]
        )
        exhausted = [pk for pk, attempts in stuck if attempts >= settings.OUTBOX_MAX_ATTEMPTS]
        released = [pk for pk, attempts in stuck if attempts < settings.OUTBOX_MAX_ATTEMPTS]
        lost = "The worker stopped while sending (lease expired)"
        OutboundEmail.objects.filter(pk__in=exhausted).update(
            status=OutboundEmail.Status.FAILED,
            last_error=f"{lost}; gave up: it may or may not have been delivered.",
            updated_at=now,
        )
        OutboundEmail.objects.filter(pk__in=released).update(
            status=OutboundEmail.Status.QUEUED,
            next_attempt_at=now,
            last_error=f"{lost}; queued again.",
            updated_at=now,
        )
    return released


def deliver_due(*, limit: int = 500) -> Counter[str]:
    """Deliver, in this process, up to ``limit`` queued messages that are due, oldest first,
    after releasing expired leases; count the outcomes. Stops early when the rate cap is
    reached. For ``manage.py deliver_outbox``: the embedded default has no beat, and ops may
    want to flush the queue without a worker.
    """
    now = timezone.now()
    release_expired_leases(now=now)
    outcomes: Counter[str] = Counter()
    for email_id in OutboundEmail.objects.due(now).values_list("pk", flat=True)[:limit]:
        outcome = deliver(email_id=email_id)
        outcomes[str(outcome)] += 1
        if outcome == Outcome.THROTTLED:
            break
    return outcomes


def retry_email(*, email_id: int) -> OutboundEmail:
    """Send a failed or cancelled message again, with a fresh set of attempts, or a queued one
    now rather than at its next appointment; it goes to the queue after commit.

    The Message-ID stays the same, so a mail client treats a resend as the same message.
    Raises ``OutboxError`` when the message is being sent or has been sent (queue a new one).
    """
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().get(pk=email_id)
        if email.status in (OutboundEmail.Status.SENDING, OutboundEmail.Status.SENT):
            raise OutboxError(
                gettext("This message has already left or is leaving; it cannot be sent again.")
            )
        if email.status != OutboundEmail.Status.QUEUED:
            email.attempts = 0
        email.status = OutboundEmail.Status.QUEUED
        email.next_attempt_at = timezone.now()
        email.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
        transaction.on_commit(partial(queue_delivery, email_id=email.pk))
    return email


def cancel_email(*, email_id: int) -> OutboundEmail:
    """Make sure a queued (or failed) message never leaves; cancelling twice is harmless.

    Raises ``OutboxError`` when the message is being sent or has been sent.
    """
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().get(pk=email_id)
        if email.status in (OutboundEmail.Status.SENDING, OutboundEmail.Status.SENT):
            raise OutboxError(
                gettext("This message has already left or is leaving; it cannot be cancelled.")
            )
        if email.status != OutboundEmail.Status.CANCELLED:
            email.status = OutboundEmail.Status.CANCELLED
            email.save(update_fields=["status", "updated_at"])
    return email
