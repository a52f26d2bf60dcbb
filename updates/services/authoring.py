"""Writing updates: drafts (create, edit, delete), the test to oneself, and publishing a sent
update as news. Each write is one transaction and recorded in the audit trail."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from campaign.audit import audit
from campaign.models import Campaign
from campaign.outbox import enqueue_email

from ..models import LANGUAGE_CODES, Update
from .emails import EMAIL_KIND, email_context, html_bodies


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
    bodies = html_bodies(update)
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
                context=email_context(
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
