"""Delivering the queued messages: each batch is claimed under row locks in one short
transaction (so two runs never send the same row), sent over one SMTP connection outside any
transaction, then recorded; a failure is retried by its class (``failures``), and at most
``OUTBOX_RATE_PER_MINUTE`` messages leave each minute. The claim takes the most urgent due
messages first (``OutboundEmail.Priority``: what a person waits for before any mailing), so
a mailing of any size delays a confirmation by one batch at most."""

from __future__ import annotations

import datetime
import logging
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from django.conf import settings
from django.core.cache import cache
from django.core.mail import get_connection
from django.db import models, transaction
from django.utils import timezone

from ..models import OutboundEmail
from . import handoff
from .failures import describe_error, is_permanent_error, leaves_connection_usable, retry_delay
from .rendering import build_message
from .sweep import release_expired_leases

logger = logging.getLogger(__name__)

# A batch starts no message later than this after its claim (nor later than half the lease);
# the rest go back to the queue untouched. So every send ends far inside its row's lease (the
# sweeper never gives a row to another worker while this one may still send it), and a slow
# server cannot hold a task past Celery's time limits.
BATCH_SEND_SECONDS = 5
# A delivery run claims no new batch after this long and leaves the rest to a fresh run, so
# that it stays well within CELERY_TASK_SOFT_TIME_LIMIT and other tasks get their turn.
RUN_SECONDS = 10
RATE_KEY = "outbox:sent-in-minute:{}"


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


def drain_outbox(*, may_hand_over: bool, wake_up: bool = False) -> Counter[str]:
    """Deliver the due messages batch after batch (``deliver_batch``) until none is left, the
    rate cap is reached or ``RUN_SECONDS`` have passed; count the outcomes. The unit of work of
    ``deliver_outbox_batch``: it first marks the run started (see ``queue_batch_delivery``).

    With ``may_hand_over`` (on a worker; not when tasks run eagerly, where a task sent from
    here would run inside this one): before each batch, when more than a batch is due, another
    run is queued, so that an idle worker process joins in (the claim keeps them apart); what
    a slow server left unstarted (``deferred``) is claimed again by the next batch; when this
    run's time is up, one is queued to take over; when messages wait for a retry or for
    the cap, one is scheduled for the moment the next falls due. A ``wake_up`` run (one so
    scheduled, or a worker's first) does that whatever its outcomes: a wake-up is scheduled
    for the first waiting message only, and the others, due later, rely on this run to
    schedule theirs, even when it finds nothing or sends everything it claims. Delivery
    errors are recorded on the rows, never raised.
    """
    handoff.mark_run_started()
    size = settings.OUTBOX_BATCH_SIZE
    stop_at = time.monotonic() + RUN_SECONDS
    outcomes: Counter[str] = Counter()
    while True:
        if may_hand_over and _more_than_a_batch_due(size):
            handoff.queue_batch_delivery()
        batch = deliver_batch(limit=size)
        outcomes += batch
        if Outcome.THROTTLED in batch:
            break  # nothing more may leave this minute
        if batch.total() < size and not (may_hand_over and Outcome.DEFERRED in batch):
            break  # nothing more is due (what a slow server left unstarted is due again)
        if time.monotonic() >= stop_at:
            if may_hand_over:
                handoff.queue_batch_delivery()  # whatever is left goes to a fresh run
            break
    if may_hand_over and (wake_up or not WAITING_OUTCOMES.isdisjoint(outcomes)):
        handoff.queue_batch_delivery_when_due()
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
    """Send up to ``limit`` (``OUTBOX_BATCH_SIZE``) queued messages that are due, most urgent
    first and then oldest first, over one SMTP connection; count the outcomes.

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
        mailing = sum(1 for email in due if email.priority >= OutboundEmail.Priority.BULK)
        allowed = _take_rate_slots(now, first=len(due) - mailing, mailing=mailing)
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


def _take_rate_slots(now: datetime.datetime, *, first: int, mailing: int) -> int:
    """Count a batch (its ``first`` messages, then its ``mailing`` ones: the claim's order)
    against this minute's cap, shared by all workers through the cache; return how many of it,
    from the start, may leave. A mailing stops ``OUTBOX_RESERVED_PER_MINUTE`` short of the cap
    (keeping at least half of it), so that one that fills the minute still leaves room for a
    confirmation or a login code. One increment for the batch, and one decrement giving back
    what may not leave, so that the count stays exact."""
    cap = settings.OUTBOX_RATE_PER_MINUTE
    wanted = first + mailing
    if cap <= 0:
        return wanted
    mailing_cap = cap - min(settings.OUTBOX_RESERVED_PER_MINUTE, cap // 2)
    key = RATE_KEY.format(int(now.timestamp()) // 60)
    cache.add(key, 0, timeout=120)
    taken_before = cache.incr(key, wanted) - wanted
    allowed = max(0, min(first, cap - taken_before))
    allowed += max(0, min(mailing, mailing_cap - taken_before - allowed))
    if allowed < wanted:
        cache.decr(key, wanted - allowed)
    return allowed


def _in_next_minute(now: datetime.datetime) -> datetime.datetime:
    next_minute = (int(now.timestamp()) // 60 + 1) * 60
    # Spread the waiting rows over the first half of the minute rather than all at its start.
    return datetime.datetime.fromtimestamp(next_minute + random.uniform(0, 30), tz=datetime.UTC)


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
