"""Writes that matter for the campaign itself, and the email outbox (every message the site
sends is queued by ``enqueue_email`` and delivered in batches by ``deliver_batch``)."""

from __future__ import annotations

import datetime
import logging
import math
import random
import re
import smtplib
import time
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
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
# that makes it necessary. After the commit a Celery task (``deliver_outbox_batch``) delivers
# the due rows in batches: each batch is claimed under row locks in one short transaction, sent
# over one SMTP connection outside any transaction, then recorded. ``sweep_outbox`` (beat,
# every minute) hands over again whatever a broker outage or a dead worker left behind.

logger = logging.getLogger(__name__)

# Longest wait between two attempts, whatever the backoff says.
MAX_RETRY_DELAY_SECONDS = 3600
# A queued row is swept only this long after it fell due, so that the sweeper does not race
# the delivery run already on its way (capped by OUTBOX_LEASE_SECONDS, which tests make short).
SWEEP_GRACE_SECONDS = 60
# At most this many expired leases are released per sweep; the next sweep takes the rest.
SWEEP_BATCH = 1000
# A run further away than this is not scheduled on the broker but left to the sweeper: a
# worker holds every scheduled task in memory, and Redis hands a task held longer than its
# visibility timeout (10 minutes) to another worker.
MAX_COUNTDOWN_SECONDS = 300
# A batch starts no message later than this after its claim (nor later than half the lease);
# the rest go back to the queue untouched. So every send ends far inside its row's lease (the
# sweeper never gives a row to another worker while this one may still send it), and a slow
# server cannot hold a task past Celery's time limits.
BATCH_SEND_SECONDS = 5
# A delivery run claims no new batch after this long and leaves the rest to a fresh run, so
# that it stays well within CELERY_TASK_SOFT_TIME_LIMIT and other tasks get their turn.
RUN_SECONDS = 10
MAX_ERROR_LENGTH = 2000
RATE_KEY = "outbox:sent-in-minute:{}"
EMAIL_ADDRESS_SHAPE = re.compile(r"[^\s<>@;:,\"']+@[^\s<>@;:,\"']+")
# Present while a delivery run is queued and has not started (see queue_batch_delivery). It
# expires in case that run's task is lost: until then new rows wait for the sweeper.
PENDING_RUN_KEY = "outbox:run-pending"
PENDING_RUN_TIMEOUT = 30
# Present once a run is scheduled for that second (see queue_batch_delivery_when_due).
WAKE_UP_KEY = "outbox:wake-up:{}"


class OutboxError(Exception):
    """An organiser asked for something the message's state does not allow."""


class Outcome(StrEnum):
    """What delivery did with one message (``deliver`` returns it, ``deliver_batch`` counts
    them; it is a ``str``)."""

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    THROTTLED = "throttled"
    DEFERRED = "deferred"
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
    back, no row remains and nothing is sent. Once it commits, a delivery run is handed to the
    queue (``queue_batch_delivery``; it runs at once on the embedded default); if the broker is
    down, the row waits for ``sweep_outbox``, and the caller sees no error. ``dedup_key`` makes
    the call idempotent: when a row with that key exists it is returned, and nothing is
    rendered, created or sent. ``headers`` are extra message headers (e.g. ``List-Unsubscribe``).

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
    """Store the row and hand a delivery run to the queue once the transaction commits."""
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
    transaction.on_commit(queue_batch_delivery)
    return email


def _checked_headers(headers: dict) -> dict[str, str]:
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise ValueError("Email header names and values must be strings.")
        if any(char in name + value for char in "\r\n") or ":" in name:
            raise ValueError(f"Email header {name!r} would break the message's headers.")
    return dict(headers)


def queue_batch_delivery() -> bool:
    """Make sure a delivery run (the ``deliver_outbox_batch`` task) starts after now, so that
    what was just committed leaves; says whether one will. Called after every commit that
    queues a message (run at once on the embedded default, where tasks run eagerly).

    Debounced: however many messages are committed, at most one run waits in the queue. Never
    raises: when the cache or the broker is unreachable the rows stay ``queued`` and
    ``sweep_outbox`` hands them over, so an outage cannot turn the request that queued a
    message into an error.
    """
    # Why no row is missed. Row R commits, then this adds PENDING_RUN_KEY. If the add
    # succeeds, a run is sent now, so it starts after R committed and sees R. If it fails, the
    # key was there: a run was sent and has not started yet, because a run deletes the key as
    # it starts, before it looks for due rows (``drain_outbox``). That run therefore deletes
    # it after this add, after R committed, and then sees R. (Deleting after querying would
    # be wrong: a run could delete a key that was added for a row it never saw.) Rows
    # committed while a run is under way find the key gone and send a run of their own; it
    # may find nothing left, a cheap task. Whoever else deletes the key (a run the sweeper or
    # a wake-up started) only causes an extra run, never one too few. If the task never
    # arrives (broker restarted, worker killed before starting it), the key expires after
    # PENDING_RUN_TIMEOUT and the sweeper delivers what waited meanwhile.
    if not _add_key(PENDING_RUN_KEY, timeout=PENDING_RUN_TIMEOUT):
        return True  # a run is on its way and will see the new rows
    if start_batch_delivery():
        return True
    _delete_key(PENDING_RUN_KEY)  # no run is coming: let the next commit try again
    return False


def start_batch_delivery(*, countdown: float | None = None) -> bool:
    """Send a ``deliver_outbox_batch`` task (without the debounce), to run now or in
    ``countdown`` seconds; says whether that worked. Never raises: when the broker is
    unreachable (or, on the embedded default, the eager run failed unexpectedly) the rows stay
    ``queued`` for ``sweep_outbox``."""
    from .tasks import deliver_outbox_batch

    try:
        deliver_outbox_batch.apply_async(countdown=countdown)
    except Exception:
        logger.warning(
            "Outbox: a delivery run could not be handed to the queue; the sweeper will retry it.",
            exc_info=True,
        )
        return False
    return True


def queue_batch_delivery_when_due() -> bool:
    """Schedule a delivery run for when the next waiting message (after a temporary failure,
    or held by the rate cap) falls due; says whether one is scheduled. One run per second,
    however many ask. A message due in more than ``MAX_COUNTDOWN_SECONDS`` is left for
    ``sweep_outbox``, which picks it up soon after it falls due."""
    next_attempt_at = (
        OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if next_attempt_at is None:
        return False
    # The run starts on the second after the message falls due, so that it finds it due, and
    # so does any other message due within that second.
    second = math.ceil(next_attempt_at.timestamp())
    countdown = max(0.0, second - timezone.now().timestamp())
    if countdown > MAX_COUNTDOWN_SECONDS:
        return False
    if not _add_key(WAKE_UP_KEY.format(second), timeout=int(countdown) + 60):
        return True
    return start_batch_delivery(countdown=countdown)


def _add_key(key: str, *, timeout: int) -> bool:
    """``cache.add``; true as well when the cache cannot be reached (then nothing is
    debounced, and a broker on the same Redis will most likely refuse the task too)."""
    try:
        return cache.add(key, 1, timeout=timeout)
    except Exception:
        logger.warning("Outbox: the cache is unreachable (%s).", key, exc_info=True)
        return True


def _delete_key(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        logger.warning("Outbox: the cache is unreachable (%s).", key, exc_info=True)


def drain_outbox(*, may_hand_over: bool) -> Counter[str]:
    """Deliver the due messages batch after batch (``deliver_batch``) until none is left, the
    rate cap is reached or ``RUN_SECONDS`` have passed; count the outcomes. The unit of work of
    ``deliver_outbox_batch``: it first deletes ``PENDING_RUN_KEY`` (see ``queue_batch_delivery``).

    With ``may_hand_over`` (on a worker; not when tasks run eagerly, where a task sent from
    here would run inside this one): before each batch, when more than a batch is due, another
    run is queued, so that an idle worker process joins in (the claim keeps them apart); when
    this run's time is up, one is queued to take over; when messages wait for a retry or for
    the cap, one is scheduled for the moment the next falls due. Delivery errors are recorded
    on the rows, never raised.
    """
    _delete_key(PENDING_RUN_KEY)
    size = settings.OUTBOX_BATCH_SIZE
    stop_at = time.monotonic() + RUN_SECONDS
    outcomes: Counter[str] = Counter()
    while True:
        if may_hand_over and _more_than_a_batch_due(size):
            queue_batch_delivery()
        batch = deliver_batch(limit=size)
        outcomes += batch
        if batch.total() < size or Outcome.THROTTLED in batch:
            break  # nothing more is due, or nothing more may leave this minute
        if time.monotonic() >= stop_at:
            if may_hand_over:
                queue_batch_delivery()  # whatever is left goes to a fresh run
            break
    if may_hand_over and not WAITING_OUTCOMES.isdisjoint(outcomes):
        queue_batch_delivery_when_due()
    return outcomes


def _more_than_a_batch_due(size: int) -> bool:
    return OutboundEmail.objects.due(timezone.now())[size : size + 1].exists()


def deliver(*, email_id: int) -> str:
    """Send message ``email_id`` if it is queued and due: ``deliver_batch`` for that one row
    (the unit of work of the ``deliver_email`` task), with the same guarantees. Returns its
    ``Outcome``; ``"skipped"`` when it is not queued, not yet due, or being claimed by another
    worker right now."""
    outcomes = _deliver(OutboundEmail.objects.filter(pk=email_id), limit=1)
    return next(iter(outcomes), Outcome.SKIPPED)


def deliver_batch(*, limit: int | None = None) -> Counter[str]:
    """Send up to ``limit`` (``OUTBOX_BATCH_SIZE``) queued messages that are due, oldest first,
    over one SMTP connection; count the outcomes.

    Safe to run any number of times, on any number of workers at once: the batch is claimed in
    one short transaction under row locks that other runs skip (``SKIP LOCKED``), each row
    going ``queued → sending`` with one more attempt, so each claimed row is sent at most once
    and other runs never see it. The SMTP conversation happens after that commit, outside any
    transaction; a refused recipient fails only its own message, and after a dropped
    connection the next message opens a new one. Outcomes, one per message:

    - ``"sent"``: the server accepted it; the row is ``sent``.
    - ``"retry"``: a temporary failure (SMTP 4xx, refused or dropped connection, timeout); the
      row is ``queued`` again, its next attempt after a growing, jittered delay.
    - ``"failed"``: a permanent failure (SMTP 5xx, malformed message), or the last attempt.
    - ``"throttled"``: ``OUTBOX_RATE_PER_MINUTE`` messages already left this minute; the row
      waits for the next minute, no attempt counted.
    - ``"deferred"``: claimed, but not started within ``BATCH_SEND_SECONDS``; ``queued`` and
      due again, no attempt counted.

    Delivery errors are recorded on the rows (``last_error``), never raised.
    """
    return _deliver(OutboundEmail.objects.all(), limit=limit or settings.OUTBOX_BATCH_SIZE)


def _deliver(rows: models.QuerySet, *, limit: int) -> Counter[str]:
    """Claim up to ``limit`` of ``rows`` that are due, send them, record what happened."""
    now = timezone.now()
    claimed, held = _claim(rows, limit=limit, now=now)
    outcomes: Counter[str] = Counter({Outcome.THROTTLED: held})
    if claimed:
        window = min(BATCH_SEND_SECONDS, settings.OUTBOX_LEASE_SECONDS / 2)
        sending = _send_all(claimed, stop_at=time.monotonic() + window)
        outcomes[Outcome.SENT] += _record_sent(sending.sent)
        outcomes.update(_record_failure(email, exc) for email, exc in sending.failed)
        outcomes[Outcome.DEFERRED] += _give_back(sending.unsent)
    return +outcomes  # without the zeros


def _claim(
    rows: models.QuerySet, *, limit: int, now: datetime.datetime
) -> tuple[list[OutboundEmail], int]:
    """Lock up to ``limit`` due rows, skipping those another run holds; mark as many as the
    rate cap allows ``sending`` (one UPDATE) and move the others to the next minute. Returns
    the claimed rows (as now stored) and how many were held back."""
    with transaction.atomic():
        due = list(rows.select_for_update(skip_locked=True).due(now)[:limit])
        if not due:
            return [], 0
        allowed = _take_rate_slots(now, wanted=len(due))
        claimed, held = due[:allowed], due[allowed:]
        if held:
            OutboundEmail.objects.filter(pk__in=[email.pk for email in held]).update(
                next_attempt_at=_in_next_minute(now), updated_at=now
            )
        if claimed:
            OutboundEmail.objects.filter(pk__in=[email.pk for email in claimed]).update(
                status=OutboundEmail.Status.SENDING,
                claimed_at=now,
                attempts=models.F("attempts") + 1,
                updated_at=now,
            )
    for email in claimed:
        email.status = OutboundEmail.Status.SENDING
        email.claimed_at = now
        email.attempts += 1
    return claimed, len(held)


def _take_rate_slots(now: datetime.datetime, *, wanted: int) -> int:
    """Count up to ``wanted`` messages against this minute's cap, shared by all workers
    through the cache (one increment for the whole batch); return how many may leave."""
    cap = settings.OUTBOX_RATE_PER_MINUTE
    if cap <= 0:
        return wanted
    key = RATE_KEY.format(int(now.timestamp()) // 60)
    cache.add(key, 0, timeout=120)
    taken_before = cache.incr(key, wanted) - wanted
    return max(0, min(wanted, cap - taken_before))


def _in_next_minute(now: datetime.datetime) -> datetime.datetime:
    next_minute = (int(now.timestamp()) // 60 + 1) * 60
    # Spread the waiting rows over the first half of the minute rather than all at its start.
    return datetime.datetime.fromtimestamp(next_minute + random.uniform(0, 30), tz=datetime.UTC)


def build_message(email: OutboundEmail, *, connection=None) -> EmailMultiAlternatives:
    """The message as it leaves for ``email``'s row: its own Message-ID and headers, the
    plain-text body, and the HTML body as an alternative when there is one."""
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
    return message


@dataclass
class Sending:
    """What one pass over a batch did: the messages the server took, those that failed and
    why, those never started (the batch's time was up)."""

    sent: list[OutboundEmail] = field(default_factory=list)
    failed: list[tuple[OutboundEmail, Exception]] = field(default_factory=list)
    unsent: list[OutboundEmail] = field(default_factory=list)


def _send_all(emails: list[OutboundEmail], *, stop_at: float) -> Sending:
    """Send ``emails`` one by one over one connection, opened once; start none after
    ``stop_at`` (``time.monotonic``) but the first. After an error that may have broken the
    conversation the connection is closed, and opened again for the next message; when it
    cannot be opened, every message left fails with that error (each is retried on its own)."""
    sending = Sending()
    connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
    is_open = False
    try:
        for index, email in enumerate(emails):
            if index and time.monotonic() >= stop_at:
                sending.unsent = emails[index:]
                break
            if not is_open:
                try:
                    connection.open()
                except Exception as exc:
                    sending.failed += [(left, exc) for left in emails[index:]]
                    break
                is_open = True
            try:
                _send_message(email, connection)
            except Exception as exc:
                sending.failed.append((email, exc))
                if not leaves_connection_usable(exc):
                    _close(connection)
                    is_open = False
            else:
                sending.sent.append(email)
    finally:
        _close(connection)
    return sending


def _send_message(email: OutboundEmail, connection) -> None:
    # One message per call, so that a refused recipient fails its own message only.
    if connection.send_messages([build_message(email, connection=connection)]) != 1:
        raise RuntimeError("The email backend accepted nothing and gave no reason.")


def leaves_connection_usable(exc: Exception) -> bool:
    """Whether the SMTP conversation may go on after ``exc``: smtplib resets it after the
    server refuses a sender, the recipients or the data (unless the server is closing: 421),
    and a malformed message never reached the wire. After anything else (a timeout, a dropped
    connection, an error we do not know) there is no telling where it stands."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code != 421 for code, _reply in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
        return exc.smtp_code != 421
    return isinstance(exc, ValueError)


def _close(connection) -> None:
    try:
        connection.close()
    except Exception:
        logger.info("Outbox: closing the SMTP connection failed.", exc_info=True)


def _still_claimed(email: OutboundEmail) -> models.QuerySet:
    """The row, if this run's claim still holds (the sweeper may have given it to another)."""
    return OutboundEmail.objects.filter(
        pk=email.pk, status=OutboundEmail.Status.SENDING, claimed_at=email.claimed_at
    )


def _record_sent(emails: list[OutboundEmail]) -> int:
    """Mark ``emails`` sent in one UPDATE; return how many."""
    if not emails:
        return 0
    now = timezone.now()
    # A row swept back to queued while a slow send went on is marked sent too, so that it
    # does not leave a second time.
    updated = OutboundEmail.objects.filter(
        pk__in=[email.pk for email in emails],
        status__in=[OutboundEmail.Status.SENDING, OutboundEmail.Status.QUEUED],
    ).update(status=OutboundEmail.Status.SENT, sent_at=now, updated_at=now)
    if updated < len(emails):
        logger.warning(
            "Outbox: %s of %s emails were sent, but their rows had moved on.",
            len(emails) - updated,
            len(emails),
        )
    return len(emails)


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


def _give_back(emails: list[OutboundEmail]) -> int:
    """Put claimed messages that were never started back as they were before the claim
    (``queued``, due, the attempt not counted), unless their claim has lapsed; return how many."""
    if not emails:
        return 0
    OutboundEmail.objects.filter(
        pk__in=[email.pk for email in emails],
        status=OutboundEmail.Status.SENDING,
        claimed_at=emails[0].claimed_at,
    ).update(
        status=OutboundEmail.Status.QUEUED,
        attempts=models.F("attempts") - 1,
        updated_at=timezone.now(),
    )
    return len(emails)


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
    """One line an organiser can read in the admin, e.g. "SMTP 451: Try again later".

    It is logged and kept on the row, so it never names an address (the row has its recipient):
    anything shaped like one, in a server's reply or an exception, reads ``<address>``.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        text = "; ".join(
            f"SMTP {code}: {_reply_text(reply)}" for code, reply in exc.recipients.values()
        )
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"SMTP {exc.smtp_code}: {_reply_text(exc.smtp_error)}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return EMAIL_ADDRESS_SHAPE.sub("<address>", text)[:MAX_ERROR_LENGTH]


def _reply_text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def sweep_outbox() -> int:
    """Hand every stuck message to a delivery run again; returns how many it found.

    Stuck means ``sending`` for longer than ``OUTBOX_LEASE_SECONDS`` (its worker died or hung:
    the row goes back to ``queued``, or to ``failed`` when it has used all its attempts, as it
    may or may not have left), or ``queued`` and overdue by more than a short grace (the run
    meant for it never reached the broker, or the broker lost it). One run is started for them
    all, past the debounce, which a lost run may have left set. Celery beat runs it every
    minute; it is safe to run at any time, since delivery claims each row under a lock. This
    is what makes a Redis outage or a killed worker lose no mail.
    """
    now = timezone.now()
    released = release_expired_leases(now=now)
    grace = datetime.timedelta(seconds=min(SWEEP_GRACE_SECONDS, settings.OUTBOX_LEASE_SECONDS))
    overdue = (
        OutboundEmail.objects.overdue(now - grace)
        .order_by()
        .values("pk")[: max(0, SWEEP_BATCH - len(released))]
        .count()
    )
    if released or overdue:
        logger.info("Outbox sweep: %s leases expired, %s overdue.", len(released), overdue)
        start_batch_delivery()
    return len(released) + overdue


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
    in batches, after releasing expired leases; count the outcomes. Stops early when the rate
    cap is reached. For ``manage.py deliver_outbox``: the embedded default has no beat, and
    ops may want to flush the queue without a worker.
    """
    release_expired_leases(now=timezone.now())
    outcomes: Counter[str] = Counter()
    while (left := limit - outcomes.total()) > 0:
        size = min(left, settings.OUTBOX_BATCH_SIZE)
        batch = deliver_batch(limit=size)
        outcomes += batch
        if batch.total() < size or Outcome.THROTTLED in batch:
            break
    return outcomes


def retry_email(*, email_id: int) -> OutboundEmail:
    """Send a failed or cancelled message again, with a fresh set of attempts, or a queued one
    now rather than at its next appointment; it goes to the queue after commit.

    The Message-ID stays the same, so a mail client treats a resend as the same message.
    Raises ``OutboxError`` when the message is being sent or has been sent (queue a new one),
    or when its recipient and body were erased.
    """
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().get(pk=email_id)
        if email.status in (OutboundEmail.Status.SENDING, OutboundEmail.Status.SENT):
            raise OutboxError(
                gettext("This message has already left or is leaving; it cannot be sent again.")
            )
        if email.is_erased:
            raise OutboxError(
                gettext(
                    "This message was erased (privacy request or retention); it cannot be sent."
                )
            )
        if email.status != OutboundEmail.Status.QUEUED:
            email.attempts = 0
        email.status = OutboundEmail.Status.QUEUED
        email.next_attempt_at = timezone.now()
        email.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
        transaction.on_commit(queue_batch_delivery)
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
