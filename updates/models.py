"""An update to signatories (``Update``), written in English and French, and the record of who
it was queued for (``UpdateRecipient``, one row per signature, linked to its outbox row)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campaign.models import Campaign, OutboundEmail
from signatures.models import Signature

from .rendering import render_markdown

# The languages an update is written in: each has its own title and text fields below (the
# site's languages, settings.LANGUAGES).
LANGUAGE_CODES = ("en", "fr")


class UpdateQuerySet(models.QuerySet):
    def published(self) -> UpdateQuerySet:
        """Updates the public may read as news: sent, and published by organisers."""
        return self.filter(is_published=True, status=Update.Status.SENT)


class Update(models.Model):
    """News for the people who signed and asked to hear more.

    Written in Markdown in both languages (both are required before sending). The life cycle
    is ``draft → sending → sent``: only a draft may be edited; ``sending`` means the email
    outbox is being filled in batches (``services.queue_next_batch``), one row per recipient;
    ``sent`` means every recipient has their row (delivery goes on at the outbox's pace).
    A sent update may be published as a public news page.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENDING = "sending", _("Sending")
        SENT = "sent", pgettext_lazy("update", "Sent")  # "actualité" (f)

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="updates", verbose_name=_("campaign")
    )
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    title_fr = models.CharField(_("title (French)"), max_length=200, blank=True)
    body_en = models.TextField(_("text (English)"), max_length=20_000, blank=True)
    body_fr = models.TextField(_("text (French)"), max_length=20_000, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Sending.
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    send_started_at = models.DateTimeField(_("sending started at"), null=True, blank=True)
    sent_at = models.DateTimeField(
        _("queued for everyone at"),
        null=True,
        blank=True,
        help_text=_("When the last recipient's email joined the queue."),
    )
    audience_up_to = models.BigIntegerField(
        _("signatures up to"),
        default=0,
        help_text=_("The newest signature when sending started; later ones are not included."),
    )
    last_signature_id = models.BigIntegerField(
        _("progress marker"),
        default=0,
        help_text=_("Signatures up to this id have been handled (sending resumes after it)."),
    )
    last_run_at = models.DateTimeField(_("last worked on at"), null=True, blank=True)
    recipients_planned = models.PositiveIntegerField(
        _("recipients when sending started"), default=0
    )
    recipients_queued = models.PositiveIntegerField(_("emails queued"), default=0)
    recipients_skipped = models.PositiveIntegerField(
        _("recipients skipped"), default=0, help_text=_("Addresses the outbox refused.")
    )

    # The public news page.
    is_published = models.BooleanField(_("published as news"), default=False)
    slug = models.SlugField(_("news page address"), max_length=100, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    objects = UpdateQuerySet.as_manager()

    class Meta:
        verbose_name = _("update")
        verbose_name_plural = _("updates")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["slug"], condition=~Q(slug=""), name="update_unique_slug"
            ),
            models.CheckConstraint(
                condition=Q(is_published=False) | Q(status="sent"),
                name="update_published_only_when_sent",
            ),
        ]
        indexes = [
            models.Index(
                fields=["campaign", "-published_at", "-id"],
                condition=Q(is_published=True),
                name="update_news",
            ),
            models.Index(fields=["campaign", "-created_at", "-id"], name="update_recent"),
        ]

    def __str__(self) -> str:
        return self.title_en or self.title_fr or f"#{self.pk}"

    def title_in(self, language: str) -> str:
        return getattr(self, f"title_{site_language(language)}")

    def body_in(self, language: str) -> str:
        return getattr(self, f"body_{site_language(language)}")

    def html_in(self, language: str):
        """The body in ``language`` as sanitised HTML (``rendering.render_markdown``)."""
        return render_markdown(self.body_in(language))

    @property
    def missing_languages(self) -> list[str]:
        """The languages (codes) still lacking a title or a text; sending needs none."""
        return [
            code
            for code in LANGUAGE_CODES
            if not self.title_in(code).strip() or not self.body_in(code).strip()
        ]

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_sent(self) -> bool:
        return self.status == self.Status.SENT


def site_language(language: str) -> str:
    """``language`` if the site speaks it ("fr-ca" → "fr"), else the default language."""
    code = (language or "").split("-")[0].lower()
    return code if code in LANGUAGE_CODES else settings.LANGUAGE_CODE


class UpdateRecipient(models.Model):
    """One signatory an update was queued for: which signature, in which language, and the
    outbox row that carries it. Unique per (update, signature), a second guard after the
    outbox's own deduplication key against sending one person the same update twice."""

    update = models.ForeignKey(
        Update, on_delete=models.CASCADE, related_name="recipients", verbose_name=_("update")
    )
    signature = models.ForeignKey(
        Signature, on_delete=models.CASCADE, related_name="+", verbose_name=_("signature")
    )
    email = models.OneToOneField(
        OutboundEmail,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="update_recipient",
        verbose_name=_("email"),
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("update recipient")
        verbose_name_plural = _("update recipients")
        constraints = [
            models.UniqueConstraint(fields=["update", "signature"], name="update_recipient_once")
        ]

    def __str__(self) -> str:
        return f"{self.update} → {self.signature_id}"
