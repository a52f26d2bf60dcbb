"""Artists' reservations of their works from text-and-data mining and AI training.

A verified supporter declares the reservation (EU Directive 2019/790, Article 4(3)) and lists
the places their works live. Each place is checked like the profile's link-back proof before it
is published. A withdrawn declaration is kept, with the date it was made and the date it ended.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from signatures.models import Supporter


def new_declaration_uid() -> str:
    """A random public id: the policy's address names it without revealing how many exist."""
    return secrets.token_hex(6)


class OptOutDeclarationQuerySet(models.QuerySet):
    def active(self) -> OptOutDeclarationQuerySet:
        return self.filter(status=OptOutDeclaration.Status.ACTIVE)


class OptOutDeclaration(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("In force")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    supporter = models.ForeignKey(
        Supporter,
        on_delete=models.CASCADE,
        related_name="optout_declarations",
        verbose_name=_("supporter"),
    )
    uid = models.CharField(
        _("public id"), max_length=16, unique=True, default=new_declaration_uid, editable=False
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    declared_at = models.DateTimeField(_("declared at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    licensing_url = models.URLField(
        _("licensing contact page"),
        max_length=500,
        blank=True,
        help_text=_("Where AI companies can ask for a licence; the public profile otherwise."),
    )

    objects = OptOutDeclarationQuerySet.as_manager()

    class Meta:
        verbose_name = _("opt-out declaration")
        verbose_name_plural = _("opt-out declarations")
        ordering = ["-declared_at", "-id"]
        constraints = [
            # A supporter has at most one declaration in force; withdrawn ones are kept.
            models.UniqueConstraint(
                fields=["supporter"],
                condition=Q(status="active"),
                name="one_active_optout_per_supporter",
            ),
            models.CheckConstraint(
                condition=(Q(status="active") & Q(withdrawn_at__isnull=True))
                | (Q(status="withdrawn") & Q(withdrawn_at__isnull=False)),
                name="optout_withdrawn_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supporter} · {self.declared_at:%Y-%m-%d} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class OptOutLocation(models.Model):
    """A place the declarant's works live: a whole site (``https://example.com/``) or the part
    of a site under an address (``https://example.com/portfolio/``)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being checked")
        OK = "ok", _("Checked")
        FAILED = "failed", _("Check failed")

    declaration = models.ForeignKey(
        OptOutDeclaration,
        on_delete=models.CASCADE,
        related_name="locations",
        verbose_name=_("declaration"),
    )
    url = models.URLField(_("address"), max_length=500)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # The link-back checker's reason code (signatures.linkcheck.LinkCheckResult.reason).
    check_result = models.CharField(_("check result"), max_length=30, blank=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("opt-out location")
        verbose_name_plural = _("opt-out locations")
        ordering = ["url", "id"]
        constraints = [
            models.UniqueConstraint(fields=["declaration", "url"], name="unique_optout_location")
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def is_checked(self) -> bool:
        return self.status == self.Status.OK

    @property
    def origin(self) -> str:
        """Scheme, host and port: the site whose ``/.well-known/tdmrep.json`` covers it."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"
