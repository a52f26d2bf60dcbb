"""What each person agreed to, purpose by purpose, and when they took it back.

One row per purpose each time consent is given or withdrawn, kept beside the signature's own
summary fields (``Signature.wants_updates``, ``consent_version``…), which say what holds now.
Rows are evidence: services write them, nothing edits them, and erasure only removes their
link to the person (see ``signatures.services.privacy``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ConsentRecord(models.Model):
    class Purpose(models.TextChoices):
        SIGNING = "signing", _("Signing the appeal and being counted")
        LISTING = "listing", _("Being listed publicly, as chosen")
        UPDATES = "updates", _("Campaign updates by email")

    class Action(models.TextChoices):
        GIVEN = "given", _("Given")
        WITHDRAWN = "withdrawn", pgettext_lazy("consent", "Withdrawn")  # "consentement" (m)

    class Method(models.TextChoices):
        FORM = "form", _("The sign form")
        IMPORT = "import", _("An import of signatures collected elsewhere")
        ACCOUNT = "account", _("The supporter's account page")
        EMAIL_LINK = "email_link", _("A link in an email")
        BACK_OFFICE = "back_office", _("Organisers, at the person's request")

    # Set to null by erasure: the row then says that someone agreed, not who.
    supporter = models.ForeignKey(
        "signatures.Supporter",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consent_records",
        verbose_name=_("supporter"),
    )
    # A signature deleted (unconfirmed, or erased) takes its consent records with it.
    signature = models.ForeignKey(
        "signatures.Signature",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="consent_records",
        verbose_name=_("signature"),
    )
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    action = models.CharField(_("given or withdrawn"), max_length=10, choices=Action.choices)
    choice = models.CharField(
        _("choice"),
        max_length=20,
        blank=True,
        help_text=_("For the public listing: how the name is shown."),
    )
    wording = models.TextField(_("wording shown"), blank=True)
    wording_version = models.CharField(_("wording version"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    method = models.CharField(_("how"), max_length=12, choices=Method.choices)
    recorded_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["recorded_at", "id"]
        indexes = [
            models.Index(fields=["signature", "purpose", "recorded_at"], name="consent_history")
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} · {self.get_action_display()} · {self.recorded_at}"
