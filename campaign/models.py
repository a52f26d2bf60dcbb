"""The campaign's content, edited by organisers in the admin and translated (English, French)
through django-modeltranslation (see ``translation.py``); and the email outbox
(``OutboundEmail``), through which every message the site sends leaves."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FieldOfWork(models.TextChoices):
    """The creative fields an artist can name; shared by launch supporters and signatories."""

    ACTOR = "actor", _("Actor")
    MUSICIAN = "musician", _("Musician")
    SINGER_SONGWRITER = "singer-songwriter", _("Singer-songwriter")
    COMPOSER = "composer", _("Composer")
    WRITER = "writer", _("Writer")
    SCREENWRITER = "screenwriter", _("Screenwriter")
    VISUAL_ARTIST = "visual-artist", _("Visual artist")
    ILLUSTRATOR = "illustrator", _("Illustrator")
    PHOTOGRAPHER = "photographer", _("Photographer")
    VOICE_ACTOR = "voice-actor", _("Voice actor")
    DANCER = "dancer", _("Dancer")
    DIRECTOR = "director", _("Film director")
    GAME_DEVELOPER = "game-developer", _("Game developer")
    OTHER = "other", _("Other creative work")


class CampaignQuerySet(models.QuerySet):
    def public(self) -> CampaignQuerySet:
        """Campaigns the public may see: live ones and closed ones kept for the record."""
        return self.filter(status__in=[Campaign.Status.LIVE, Campaign.Status.CLOSED])

    def live(self) -> CampaignQuerySet:
        return self.filter(status=Campaign.Status.LIVE)


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        LIVE = "live", _("Live")
        CLOSED = "closed", _("Closed")

    slug = models.SlugField(_("slug"), unique=True, max_length=80)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), help_text=_("One or two sentences for previews."))
    appeal = models.TextField(
        _("appeal text"), help_text=_("The text people sign. Separate paragraphs by a blank line.")
    )
    why_it_matters = models.TextField(
        _("why it matters"), blank=True, help_text=_("Introduction to the page on the stakes.")
    )
    about = models.TextField(
        _("about the coalition"), blank=True, help_text=_("Separate paragraphs by a blank line.")
    )
    goal = models.PositiveIntegerField(_("signature goal"), default=1000)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    launch_date = models.DateField(_("launch date"), null=True, blank=True)
    # Maintained by the counting job, never by a public request: see signatures.services.
    signature_count = models.PositiveIntegerField(_("confirmed signatures"), default=0)
    count_refreshed_at = models.DateTimeField(_("count refreshed at"), null=True, blank=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.title

    @property
    def is_open_for_signing(self) -> bool:
        return self.status == self.Status.LIVE

    @property
    def goal_percent(self) -> int:
        if not self.goal:
            return 100
        return min(100, self.signature_count * 100 // self.goal)


class CampaignItem(models.Model):
    """A titled, ordered paragraph that belongs to a campaign."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, verbose_name=_("campaign"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class KeyMessage(CampaignItem):
    class Meta(CampaignItem.Meta):
        verbose_name = _("key message")
        verbose_name_plural = _("key messages")
        default_related_name = "key_messages"


class Demand(CampaignItem):
    """Something the appeal asks AI companies to do."""

    class Meta(CampaignItem.Meta):
        verbose_name = _("demand")
        verbose_name_plural = _("demands")
        default_related_name = "demands"


class Stake(CampaignItem):
    """Something at stake if creative work keeps being taken without consent."""

    class Meta(CampaignItem.Meta):
        verbose_name = _("stake")
        verbose_name_plural = _("what is at stake")
        default_related_name = "stakes"


class Solution(CampaignItem):
    """A concrete solution the coalition proposes."""

    class Meta(CampaignItem.Meta):
        verbose_name = _("proposed solution")
        verbose_name_plural = _("proposed solutions")
        default_related_name = "solutions"


class LaunchSupporter(models.Model):
    """A well-known artist named as a supporter when the campaign launched."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, verbose_name=_("campaign"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name = models.CharField(_("name"), max_length=200)
    field_of_work = models.CharField(_("field of work"), max_length=30, choices=FieldOfWork.choices)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("supporter named at launch")
        verbose_name_plural = _("supporters named at launch")
        default_related_name = "launch_supporters"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="unique_launch_supporter")
        ]

    def __str__(self) -> str:
        return self.name


class OutboundEmailQuerySet(models.QuerySet):
    def due(self, now) -> OutboundEmailQuerySet:
        """Queued messages whose time has come: the most urgent first (``priority``), then
        the oldest appointment. The partial index ``outbox_due_idx`` serves this order."""
        return self.filter(status=OutboundEmail.Status.QUEUED, next_attempt_at__lte=now).order_by(
            "priority", "next_attempt_at", "pk"
        )

    def overdue(self, before) -> OutboundEmailQuerySet:
        """Queued messages that should have been tried before ``before`` (their task is lost)."""
        return self.filter(status=OutboundEmail.Status.QUEUED, next_attempt_at__lt=before)

    def lease_expired(self, before) -> OutboundEmailQuerySet:
        """Messages a worker claimed before ``before`` and never finished (it died or hung)."""
        return self.filter(status=OutboundEmail.Status.SENDING, claimed_at__lt=before)


class OutboundEmail(models.Model):
    """One message the site sends: rendered when queued, delivered by a Celery task.

    The outbox is the only way mail leaves the site (see ``campaign.outbox.enqueue_email``).
    A row moves ``queued → sending → sent``; a temporary failure puts it back to ``queued``
    with a later ``next_attempt_at``; a permanent one, or too many attempts, makes it
    ``failed``. Organisers may cancel a message that has not left.
    """

    # Erasure and retention replace the recipient with this (signatures/services/privacy.py).
    ERASED_RECIPIENT = "erased"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Priority(models.IntegerChoices):
        """Which messages leave first (lower first): what a person is waiting for right now
        (a confirmation link, a login code, "you had already signed") goes ahead of news to
        signatories, so that a mailing of any size delays it by one batch at most."""

        WAITED_FOR = 0, _("Someone is waiting for it")
        NORMAL = 5, _("Normal")
        BULK = 9, _("Mailing")

    recipient = models.EmailField(_("recipient"))
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    kind = models.SlugField(_("kind"), max_length=50, help_text=_("Which message this is."))
    subject = models.CharField(_("subject"), max_length=255)
    text_body = models.TextField(_("plain-text body"))
    html_body = models.TextField(_("HTML body"), blank=True)
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255)
    dedup_key = models.CharField(
        _("deduplication key"),
        max_length=200,
        unique=True,
        help_text=_("The same key is never queued twice."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_at = models.DateTimeField(
        _("claimed at"), null=True, blank=True, help_text=_("When a worker took it to send it.")
    )
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OutboundEmailQuerySet.as_manager()

    class Meta:
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_status_next_idx"),
            models.Index(fields=["status", "claimed_at"], name="outbox_status_claimed_idx"),
            # The claim's order (``due``): only queued rows, so it stays small however many
            # messages have left.
            models.Index(
                fields=["priority", "next_attempt_at", "id"],
                condition=models.Q(status="queued"),
                name="outbox_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient} ({self.get_status_display()})"

    @property
    def is_erased(self) -> bool:
        """Its recipient and bodies were erased: it can never be sent again."""
        return self.recipient == self.ERASED_RECIPIENT


# --- The audit trail ---------------------------------------------------------------------------


class AuditEvent(models.Model):
    """One decision or change, kept for good: who did what, to whom, when, why.

    Rows are written once by services and never changed: ``save`` refuses updates and
    ``delete`` refuses outright.
    """

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
        help_text=_("Empty when the site itself decided (an automatic check)."),
    )
    action = models.CharField(_("action"), max_length=60, db_index=True)
    supporter = models.ForeignKey(
        # A lazy reference: the trail sits below the apps it records (no import of signatures).
        "signatures.Supporter",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("supporter"),
    )
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        db_table = "signatures_auditevent"  # where the trail began; moved without copying rows
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Audit events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are never deleted.")
