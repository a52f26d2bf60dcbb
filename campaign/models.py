"""The campaign's content, edited by organisers in the admin and translated (English, French)
through django-modeltranslation (see ``translation.py``)."""

from __future__ import annotations

from django.db import models
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
    field_of_work = models.CharField(
        _("field of work"), max_length=30, choices=FieldOfWork.choices
    )

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
