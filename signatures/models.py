"""Who signed: the supporter (a person, found by their email) and their signature of a campaign."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from campaign.models import Campaign, FieldOfWork

from .normalize import email_key


class NameDisplay(models.TextChoices):
    FULL = "full", _("My full name")
    INITIAL = "initial", _("My first name and the initial of my last name")
    HIDDEN = "hidden", _("Do not show my name (I am counted, not listed)")


class Supporter(models.Model):
    """A person who signed. One per normalised email address."""

    email = models.EmailField(_("email"), max_length=254)
    # The address as compared for duplicates (see normalize.email_key); unique.
    email_key = models.CharField(_("email for comparison"), max_length=254, unique=True)
    full_name = models.CharField(_("full name"), max_length=120)
    name_display = models.CharField(
        _("how the name is shown"),
        max_length=10,
        choices=NameDisplay.choices,
        default=NameDisplay.FULL,
    )
    field_of_work = models.CharField(_("field of work"), max_length=30, choices=FieldOfWork.choices)
    country = CountryField(_("country"))
    known_for = models.CharField(_("known for"), max_length=120, blank=True)
    link = models.URLField(_("link to their work"), max_length=500, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supporter",
        verbose_name=_("account"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("supporter")
        verbose_name_plural = _("supporters")

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs) -> None:
        self.email_key = email_key(self.email)
        super().save(*args, **kwargs)

    @property
    def public_name(self) -> str:
        """The name as the supporter chose to show it; empty when they asked not to be listed."""
        if self.name_display == NameDisplay.HIDDEN:
            return ""
        if self.name_display == NameDisplay.INITIAL:
            first, _space, rest = self.full_name.partition(" ")
            return f"{first} {rest.strip()[:1]}." if rest.strip() else first
        return self.full_name


class SignatureQuerySet(models.QuerySet):
    def counted(self) -> SignatureQuerySet:
        """Signatures that count toward the total: confirmed ones."""
        return self.filter(status=Signature.Status.CONFIRMED)

    def shown_publicly(self) -> SignatureQuerySet:
        return self.counted().exclude(supporter__name_display=NameDisplay.HIDDEN)


class Signature(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting email confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="signatures", verbose_name=_("campaign")
    )
    supporter = models.ForeignKey(
        Supporter,
        on_delete=models.CASCADE,
        related_name="signatures",
        verbose_name=_("supporter"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    comment = models.TextField(_("public comment"), max_length=500, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    # Consent, as worded when it was given.
    agreed_at = models.DateTimeField(_("agreed to the appeal at"))
    wants_updates = models.BooleanField(_("wants campaign updates"), default=False)
    updates_consent_text = models.TextField(_("updates consent wording"), blank=True)
    consent_version = models.CharField(_("consent wording version"), max_length=20)
    consent_recorded_at = models.DateTimeField(_("consent recorded at"))
    # Life cycle.
    created_at = models.DateTimeField(_("signed at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    last_email_at = models.DateTimeField(_("last email sent at"), null=True, blank=True)
    emails_sent = models.PositiveSmallIntegerField(_("emails sent"), default=0)

    objects = SignatureQuerySet.as_manager()

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "supporter"], name="one_signature_per_supporter"
            ),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(confirmed_at__isnull=False),
                name="confirmed_signature_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "status"], name="signature_campaign_status"),
            models.Index(fields=["status", "-confirmed_at"], name="signature_recent_confirmed"),
        ]

    def __str__(self) -> str:
        return f"{self.supporter} · {self.campaign} ({self.get_status_display()})"

    @property
    def is_counted(self) -> bool:
        return self.status == self.Status.CONFIRMED
