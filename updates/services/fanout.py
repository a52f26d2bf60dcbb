"""Sending an update to its audience, in batches through the email outbox.

End to end: ``start_sending`` turns a complete draft into ``sending`` (once, however
many times it is asked) and hands ``tasks.send_update`` to the queue after commit. The task
calls ``fan_out``, which calls ``queue_next_batch`` until every recipient has an outbox row:
each batch is one transaction that locks the update, queues up to ``FANOUT_BATCH_SIZE``
emails after the update's progress marker and moves the marker. Each email's deduplication
key is ``update:<update id>:<signature id>``, and ``UpdateRecipient`` is unique per (update,
signature): a double click, two organisers, a task run twice or a resumed run send once.
The outbox delivers at its own pace, under ``OUTBOX_RATE_PER_MINUTE``; the fan-out waits
while the outbox holds more than about a minute of mail, so that a signer's confirmation
email never queues behind a whole mailing.
"""

from __future__ import annotations

import logging
import time
from enum import StrEnum
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from campaign.audit import audit
from campaign.models import OutboundEmail
from campaign.outbox import enqueue_email
from signatures.models import Signature

from .. import selectors
from ..models import Update, UpdateRecipient, site_language
from .authoring import UpdateError
from .emails import EMAIL_KIND, email_context, html_bodies, unsubscribe_headers, unsubscribe_url

logger = logging.getLogger(__name__)

# Emails queued per transaction. Each costs ``enqueue_email`` a render and four queries (a few
# milliseconds; ten times that on a loaded database), so a batch stays a second or two long:
# short enough to hold the update's lock briefly and to fit a run many times over.
FANOUT_BATCH_SIZE = 200
# A paced run starts no batch that would end after this long (CELERY_TASK_SOFT_TIME_LIMIT is
# twice that) and hands over to a fresh run.
RUN_SECONDS = 15
# While the outbox is full, a paced run looks again this much later.
PACE_WAIT_SECONDS = 30


def start_sending(*, update_id: int, actor) -> bool:
    """Send a complete draft to its audience (``selectors.audience``): mark it ``sending``,
    record who sent it to how many people, and hand the fan-out to a task after commit.
    Returns whether this call started it: ``False`` when it is already sending or sent (a
    second click, another organiser), which changes nothing and sends nothing more.

    Raises ``UpdateError`` when a language is missing or nobody would receive it.
    """
    with transaction.atomic():
        update = Update.objects.select_for_update().select_related("campaign").get(pk=update_id)
        if not update.is_draft:
            return False
        if update.missing_languages:
            raise UpdateError(
                gettext("Write the title and the text in English and in French before sending.")
            )
        counts = selectors.audience_by_language(campaign=update.campaign)
        total = sum(counts.values())
        if not total:
            raise UpdateError(
                gettext("No signatory has asked for updates yet: nobody would receive it.")
            )
        now = timezone.now()
        update.status = Update.Status.SENDING
        update.sent_by = actor
        update.send_started_at = now
        update.last_run_at = now
        update.audience_up_to = selectors.newest_signature_id(campaign=update.campaign)
        update.recipients_planned = total
        update.save()
        audit(
            action="update.sent",
            actor=actor,
            data={
                "update": update.pk,
                "title": str(update),
                "recipients": total,
                "by_language": counts,
            },
        )
        transaction.on_commit(partial(_start_fan_out, update_id=update.pk))
    return True


def _start_fan_out(*, update_id: int, countdown: float | None = None) -> bool:
    """Hand ``tasks.send_update`` to the queue; never raises (a lost start shows as a stalled
    update, which organisers can resume)."""
    from ..tasks import send_update

    try:
        send_update.apply_async((update_id,), countdown=countdown)
    except Exception:
        logger.warning("Update %s: the sending task could not be queued.", update_id, exc_info=True)
        return False
    return True


def queue_next_batch(*, update_id: int, size: int | None = None) -> bool:
    """Queue the update's next ``size`` emails in one transaction, each in its recipient's
    signature language, and move the progress marker; returns whether every recipient now
    has their email (the update is then ``sent``). Safe to run twice or at once with itself:
    the update row is locked, and an email already queued for a signature is never queued
    again. An address the outbox refuses is skipped, counted and logged, never fatal.
    ``size`` defaults to ``FANOUT_BATCH_SIZE``.
    """
    size = size or FANOUT_BATCH_SIZE
    with transaction.atomic():
        update = Update.objects.select_for_update().select_related("campaign").get(pk=update_id)
        if update.status != Update.Status.SENDING:
            return True
        signatures = selectors.next_recipients(update=update, size=size)
        bodies = html_bodies(update) if signatures else {}
        recipients = []
        for signature in signatures:
            email = _queue_for(update, signature, bodies)
            if email is None:
                update.recipients_skipped += 1
            else:
                recipients.append(
                    UpdateRecipient(
                        update=update, signature=signature, email=email, language=email.language
                    )
                )
        UpdateRecipient.objects.bulk_create(recipients, ignore_conflicts=True)
        now = timezone.now()
        update.recipients_queued += len(recipients)
        if signatures:
            update.last_signature_id = signatures[-1].pk
        update.last_run_at = now
        finished = len(signatures) < size
        if finished:
            update.status = Update.Status.SENT
            update.sent_at = now
        update.save()
    return finished


def _queue_for(update: Update, signature: Signature, bodies: dict) -> OutboundEmail | None:
    language = site_language(signature.language)
    link = unsubscribe_url(signature=signature, language=language)
    try:
        return enqueue_email(
            to=signature.supporter.email,
            kind=EMAIL_KIND,
            language=language,
            context=email_context(
                update,
                language=language,
                body_html=bodies[language],
                name=signature.supporter.full_name,
                unsubscribe=link,
                is_test=False,
            ),
            dedup_key=f"update:{update.pk}:{signature.pk}",
            headers=unsubscribe_headers(link),
        )
    except (ValidationError, ValueError):
        logger.warning(
            "Update %s: signature %s skipped, its address was refused.",
            update.pk,
            signature.pk,
            exc_info=True,
        )
        return None


class FanOut(StrEnum):
    """What a run of ``fan_out`` left to do."""

    DONE = "done"  # every recipient has their email, or the update is not sending
    MORE = "more"  # its time was up: a fresh run should go on at once
    WAIT = "wait"  # the outbox is full: a fresh run should go on in PACE_WAIT_SECONDS


def fan_out(*, update_id: int, paced: bool) -> FanOut:
    """Queue the update's emails batch after batch (``queue_next_batch``).

    ``paced`` (on a worker): start no batch that would end after ``RUN_SECONDS``, and queue
    none while the outbox holds about a minute of mail or more (``OUTBOX_RATE_PER_MINUTE``,
    at least a batch), so that other mail keeps leaving within a minute or two. Unpaced
    (tasks run eagerly, the embedded default): everything at once.
    """
    stop_at = time.monotonic() + RUN_SECONDS
    while True:
        if paced and _outbox_is_full():
            Update.objects.filter(pk=update_id, status=Update.Status.SENDING).update(
                last_run_at=timezone.now()
            )
            return FanOut.WAIT
        started = time.monotonic()
        if queue_next_batch(update_id=update_id):
            return FanOut.DONE
        ended = time.monotonic()
        if paced and ended + (ended - started) >= stop_at:
            return FanOut.MORE  # another batch as long as this one would not fit


def _outbox_is_full() -> bool:
    limit = max(FANOUT_BATCH_SIZE, settings.OUTBOX_RATE_PER_MINUTE)
    return selectors.outbox_backlog(limit=limit) >= limit


def continue_fan_out(*, update_id: int, progress: FanOut) -> None:
    """After a paced run: start the next one, at once or after the wait."""
    if progress == FanOut.MORE:
        _start_fan_out(update_id=update_id)
    elif progress == FanOut.WAIT:
        _start_fan_out(update_id=update_id, countdown=PACE_WAIT_SECONDS)


def resume_sending(*, update_id: int, actor=None) -> bool:
    """Start the fan-out again for an update whose task was lost (``selectors.is_stalled``);
    says whether it did. Harmless if the old task turns up after all: batches lock the
    update and nobody is queued twice."""
    with transaction.atomic():
        update = Update.objects.select_for_update().get(pk=update_id)
        if not selectors.is_stalled(update=update, now=timezone.now()):
            return False
        update.last_run_at = timezone.now()
        update.save(update_fields=["last_run_at", "updated_at"])
        audit(
            action="update.resumed",
            actor=actor,
            data={"update": update.pk, "after_signature": update.last_signature_id},
        )
        transaction.on_commit(partial(_start_fan_out, update_id=update.pk))
    return True


def resume_stalled_updates() -> int:
    """``resume_sending`` for every stalled update; returns how many were resumed."""
    cutoff = timezone.now() - selectors.STALLED_AFTER
    stalled = Update.objects.filter(status=Update.Status.SENDING, last_run_at__lt=cutoff)
    return sum(resume_sending(update_id=pk) for pk in stalled.values_list("pk", flat=True))
