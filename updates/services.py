"""Writes of updates to signatories: drafting, the test to oneself, sending through the email
outbox in batches, publishing as news, unsubscribing; and the failed-email view's retry and
cancel, each recorded in the audit trail.

Sending, end to end: ``start_sending`` turns a complete draft into ``sending`` (once, however
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

import datetime
import hashlib
import logging
import time
from dataclasses import dataclass
from enum import StrEnum
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext

from campaign.models import Campaign, OutboundEmail
from campaign.services import cancel_email, enqueue_email, retry_email
from consent.models import ConsentRecord
from consent.services import record_updates_withdrawal
from signatures.models import Signature, Supporter
from signatures.normalize import email_key
from signatures.services.verification import audit

from . import selectors, tokens
from .models import LANGUAGE_CODES, Update, UpdateRecipient, site_language

logger = logging.getLogger(__name__)

EMAIL_KIND = "update"
# Emails queued per transaction. Each costs ``enqueue_email`` a render and four queries (a few
# milliseconds; ten times that on a loaded database), so a batch stays a second or two long:
# short enough to hold the update's lock briefly and to fit a run many times over.
FANOUT_BATCH_SIZE = 200
# A paced run starts no batch that would end after this long (CELERY_TASK_SOFT_TIME_LIMIT is
# twice that) and hands over to a fresh run.
RUN_SECONDS = 15
# While the outbox is full, a paced run looks again this much later.
PACE_WAIT_SECONDS = 30


class UpdateError(Exception):
    """Something the update's state does not allow; ``message`` is translated for organisers."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class UpdateText:
    title_en: str
    title_fr: str
    body_en: str
    body_fr: str

    def as_fields(self) -> dict[str, str]:
        return {
            "title_en": self.title_en.strip(),
            "title_fr": self.title_fr.strip(),
            "body_en": self.body_en.strip(),
            "body_fr": self.body_fr.strip(),
        }


# --- Drafting ----------------------------------------------------------------------------------


@transaction.atomic
def create_update(*, campaign: Campaign, author, text: UpdateText) -> Update:
    """A new draft of ``campaign``, written by ``author``."""
    update = Update.objects.create(campaign=campaign, created_by=author, **text.as_fields())
    audit(action="update.created", actor=author, data={"update": update.pk, "title": str(update)})
    return update


def edit_update(*, update_id: int, editor, text: UpdateText) -> Update:
    """Replace the text of a draft. Raises ``UpdateError`` once sending has started (what
    people received cannot change)."""
    with transaction.atomic():
        update = Update.objects.select_for_update().get(pk=update_id)
        if not update.is_draft:
            raise UpdateError(gettext("This update has been sent; it can no longer be edited."))
        fields = text.as_fields()
        changed = sorted(name for name, value in fields.items() if getattr(update, name) != value)
        if changed:
            for name, value in fields.items():
                setattr(update, name, value)
            update.save(update_fields=[*fields, "updated_at"])
            audit(
                action="update.edited",
                actor=editor,
                data={"update": update.pk, "title": str(update), "changed": changed},
            )
    return update


def delete_draft(*, update_id: int, actor) -> None:
    """Delete a draft nobody received. Raises ``UpdateError`` once sending has started."""
    with transaction.atomic():
        update = Update.objects.select_for_update().get(pk=update_id)
        if not update.is_draft:
            raise UpdateError(gettext("Only a draft can be deleted; this update has been sent."))
        audit(
            action="update.deleted", actor=actor, data={"update": update.pk, "title": str(update)}
        )
        update.delete()


# --- The emails --------------------------------------------------------------------------------


def unsubscribe_url(*, signature: Signature, language: str) -> str:
    with translation.override(language):
        path = reverse("updates:unsubscribe", args=[tokens.make_unsubscribe_token(signature)])
    return settings.SITE_URL + path


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: mail clients show an "Unsubscribe" button that POSTs
    ``List-Unsubscribe=One-Click`` to ``url``."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _email_context(
    update: Update, *, language: str, body_html, name: str, unsubscribe: str, is_test: bool
) -> dict:
    with translation.override(language):
        home_url = settings.SITE_URL + reverse("campaign:home")
    return {
        "campaign": update.campaign,
        "name": name,
        "title": update.title_in(language),
        "body_html": body_html,
        "body_text": update.body_in(language),
        "unsubscribe_url": unsubscribe,
        "home_url": home_url,
        "is_test": is_test,
    }


def _bodies(update: Update) -> dict[str, str]:
    """The body in every language, rendered once for a whole batch."""
    return {code: update.html_in(code) for code in LANGUAGE_CODES}


# --- The test to oneself -----------------------------------------------------------------------


@dataclass(frozen=True)
class TestSend:
    recipient: str
    languages: list[str]


def send_test(*, update_id: int, actor) -> TestSend:
    """Queue the update to ``actor``'s own address, once per written language, marked as a
    test (subject and banner), through the outbox. The update's state does not change. A
    second request within the same minute for the same text sends nothing more (a double
    click). Raises ``UpdateError`` when no language is written yet or ``actor`` has no address.
    """
    update = Update.objects.select_related("campaign").get(pk=update_id)
    languages = [code for code in LANGUAGE_CODES if code not in update.missing_languages]
    if not languages:
        raise UpdateError(gettext("Write a title and a text in at least one language first."))
    if not actor.email:
        raise UpdateError(gettext("Your account has no email address to send the test to."))
    minute = int(time.time() // 60)
    bodies = _bodies(update)
    name = actor.get_full_name() or actor.get_username()
    with transaction.atomic():
        for language in languages:
            version = hashlib.sha256(
                f"{update.title_in(language)}\n{update.body_in(language)}".encode()
            ).hexdigest()[:16]
            enqueue_email(
                to=actor.email,
                kind=EMAIL_KIND,
                language=language,
                context=_email_context(
                    update,
                    language=language,
                    body_html=bodies[language],
                    name=name,
                    unsubscribe=settings.SITE_URL + "/",
                    is_test=True,
                ),
                dedup_key=f"update-test:{update.pk}:{actor.pk}:{language}:{version}:{minute}",
            )
        audit(
            action="update.test_sent",
            actor=actor,
            data={"update": update.pk, "languages": languages, "to": actor.email},
        )
    return TestSend(recipient=actor.email, languages=languages)


# --- Sending to everyone -----------------------------------------------------------------------


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
    from .tasks import send_update

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
        bodies = _bodies(update) if signatures else {}
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
            context=_email_context(
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


# --- Public news ---------------------------------------------------------------------------------


def publish_update(*, update_id: int, actor) -> Update:
    """Show a sent update on the public news pages (its address stays the same if it is
    unpublished and published again). Raises ``UpdateError`` for an update not sent yet."""
    with transaction.atomic():
        update = Update.objects.select_for_update().get(pk=update_id)
        if not update.is_sent:
            raise UpdateError(gettext("Only an update that has been sent can be published."))
        if update.is_published:
            return update
        update.slug = update.slug or _free_slug(update)
        update.published_at = update.published_at or timezone.now()
        update.is_published = True
        update.save(update_fields=["slug", "published_at", "is_published", "updated_at"])
        audit(
            action="update.published",
            actor=actor,
            data={"update": update.pk, "title": str(update), "slug": update.slug},
        )
    return update


def unpublish_update(*, update_id: int, actor) -> Update:
    """Take an update off the public news pages; harmless when it is not published."""
    with transaction.atomic():
        update = Update.objects.select_for_update().get(pk=update_id)
        if update.is_published:
            update.is_published = False
            update.save(update_fields=["is_published", "updated_at"])
            audit(
                action="update.unpublished",
                actor=actor,
                data={"update": update.pk, "title": str(update), "slug": update.slug},
            )
    return update


def _free_slug(update: Update) -> str:
    base = slugify(update.title_en)[:80].strip("-") or "update"
    taken = Update.objects.filter(slug=base).exclude(pk=update.pk).exists()
    return f"{base}-{update.pk}" if taken else base


# --- Unsubscribing -----------------------------------------------------------------------------


def unsubscribe(*, token: str, one_click: bool = False) -> Signature:
    """Stop updates to the signature an unsubscribe link names (``wants_updates`` off,
    ``updates_unsubscribed_at`` set) and record it; doing it again changes nothing. No login:
    the signed token is the authority. Raises ``tokens.UnsubscribeLinkInvalid`` for an
    altered link or a signature that no longer exists."""
    signature_id = tokens.read_unsubscribe_token(token)
    with transaction.atomic():
        signature = (
            Signature.objects.select_for_update(of=("self",))
            .select_related("supporter", "campaign")
            .filter(pk=signature_id)
            .first()
        )
        if signature is None:
            raise tokens.UnsubscribeLinkInvalid
        if signature.wants_updates or signature.updates_unsubscribed_at is None:
            before = {
                "wants_updates": signature.wants_updates,
                "updates_unsubscribed_at": _iso(signature.updates_unsubscribed_at),
            }
            signature.wants_updates = False
            signature.updates_unsubscribed_at = signature.updates_unsubscribed_at or timezone.now()
            signature.save(update_fields=["wants_updates", "updates_unsubscribed_at"])
            record_updates_withdrawal(
                signature=signature,
                method=ConsentRecord.Method.EMAIL_LINK,
                when=signature.updates_unsubscribed_at,
            )
            audit(
                action="updates.unsubscribed",
                supporter=signature.supporter,
                data={
                    "signature": signature.pk,
                    "campaign": signature.campaign_id,
                    "via": "one-click" if one_click else "page",
                    "before": before,
                    "after": {
                        "wants_updates": False,
                        "updates_unsubscribed_at": _iso(signature.updates_unsubscribed_at),
                    },
                },
            )
    return signature


def _iso(moment: datetime.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# --- The failed-email view: retry and cancel, audited -------------------------------------------
#
# The outbox's own services (campaign.services.retry_email / cancel_email) do the work; these
# add who asked, in the same transaction.


def retry_outbox_email(*, email_id: int, actor) -> OutboundEmail:
    """Send a failed, cancelled or waiting message again now (``retry_email``), recorded.
    Raises ``campaign.services.OutboxError`` when it has left or is leaving."""
    with transaction.atomic():
        before = OutboundEmail.objects.select_for_update().get(pk=email_id)
        email = retry_email(email_id=email_id)
        _audit_outbox(action="email.retried", actor=actor, before=before, after=email)
    return email


def cancel_outbox_email(*, email_id: int, actor) -> OutboundEmail:
    """Make sure a message never leaves (``cancel_email``), recorded. Raises
    ``campaign.services.OutboxError`` when it has left or is leaving."""
    with transaction.atomic():
        before = OutboundEmail.objects.select_for_update().get(pk=email_id)
        email = cancel_email(email_id=email_id)
        _audit_outbox(action="email.cancelled", actor=actor, before=before, after=email)
    return email


def _audit_outbox(*, action: str, actor, before: OutboundEmail, after: OutboundEmail) -> None:
    audit(
        action=action,
        actor=actor,
        supporter=Supporter.objects.filter(email_key=email_key(after.recipient)).first(),
        data={
            "email": after.pk,
            "kind": after.kind,
            "before": {"status": before.status, "attempts": before.attempts},
            "after": {"status": after.status, "attempts": after.attempts},
            "last_error": before.last_error[:500],
        },
    )
