"""What the abuse controls keep: where each signature came from, the block and allow lists,
organisers' rate limits and kill switches, spike alerts and bulk invalidations (with what each
changed, so that it can be undone)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campaign.safeguards import Per, Scope
from signatures.models import Signature


class SigningContext(models.Model):
    """Where a signature came from, kept beside it for screening, spike alerts and bulk
    invalidation. The typed address stays on the supporter; this keeps its canonical form."""

    signature = models.OneToOneField(
        Signature,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="signing_context",
        verbose_name=_("signature"),
    )
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    # The /24 (IPv4) or /64 (IPv6) the address belongs to, and a sortable form of the address
    # for CIDR ranges of any size (campaign.clientip.ip_key).
    ip_range = models.CharField(_("address range"), max_length=50, blank=True)
    ip_key = models.CharField(_("address key"), max_length=34, blank=True)
    email_domain = models.CharField(_("email domain"), max_length=253, blank=True)
    canonical_email = models.CharField(_("canonical email"), max_length=254, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    # Signed on the site, or imported from a list by an organiser (which import, by whom).
    source = models.CharField(
        _("source"), max_length=10, choices=Signature.Source.choices, default=Signature.Source.FORM
    )
    import_reference = models.CharField(_("import"), max_length=20, blank=True)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    created_at = models.DateTimeField(_("signed at"), default=timezone.now)
    # Set once the block and allow lists have been applied (they are applied only once, so
    # that an organiser's later decision stands).
    screened_at = models.DateTimeField(_("screened at"), null=True, blank=True)
    verdict = models.CharField(_("screening verdict"), max_length=300, blank=True)
    spike_alert = models.ForeignKey(
        "SpikeAlert",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contexts",
        verbose_name=_("spike alert"),
    )

    class Meta:
        verbose_name = _("signing context")
        verbose_name_plural = _("signing contexts")
        indexes = [
            models.Index(fields=["created_at"], name="abuse_context_recent"),
            models.Index(fields=["ip_range", "created_at"], name="abuse_context_range"),
            models.Index(fields=["email_domain", "created_at"], name="abuse_context_domain"),
            models.Index(fields=["canonical_email"], name="abuse_context_canonical"),
            models.Index(fields=["ip_key"], name="abuse_context_ip"),
        ]

    def __str__(self) -> str:
        return f"{self.signature_id} · {self.ip or '?'} · {self.email_domain}"


class ListEntry(models.Model):
    """One line of the block or allow list. An allow entry that matches a signature overrides
    every block entry (and the disposable-domains list) that matches it."""

    class Kind(models.TextChoices):
        IP_RANGE = "ip_range", _("Address range (CIDR)")
        DOMAIN = "domain", _("Email domain")
        EMAIL = "email", _("Email address")

    class Verdict(models.TextChoices):
        BLOCK = "block", _("Block")
        ALLOW = "allow", _("Allow")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    verdict = models.CharField(_("list"), max_length=10, choices=Verdict.choices)
    # Normalised: a CIDR network, a case-folded domain, or a canonical email address.
    value = models.CharField(_("value"), max_length=254)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )

    class Meta:
        verbose_name = _("block or allow list entry")
        verbose_name_plural = _("block and allow list entries")
        ordering = ["verdict", "kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="abuse_one_entry_per_value")
        ]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()} {self.get_kind_display()}: {self.value}"


class RateLimit(models.Model):
    """An organiser's setting of one limit, replacing the default from
    ``settings.RATE_LIMIT_DEFAULTS``. A limit of 0 turns that limit off."""

    scope = models.CharField(_("what"), max_length=20, choices=Scope.choices)
    per = models.CharField(_("counted"), max_length=10, choices=Per.choices)
    limit = models.PositiveIntegerField(_("requests allowed"))
    window_seconds = models.PositiveIntegerField(_("in this many seconds"))
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )

    class Meta:
        verbose_name = _("rate limit")
        verbose_name_plural = _("rate limits")
        constraints = [
            models.UniqueConstraint(fields=["scope", "per"], name="abuse_one_limit_per_scope"),
            models.CheckConstraint(
                condition=Q(window_seconds__gt=0), name="abuse_limit_window_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope}/{self.per}: {self.limit} per {self.window_seconds} s"


class KillSwitches(models.Model):
    """The organisers' kill switches: one row (pk 1), read through ``abuse.safeguards``."""

    signing_paused = models.BooleanField(_("signing is paused"), default=False)
    pause_message_en = models.TextField(_("message while paused (English)"), blank=True)
    pause_message_fr = models.TextField(_("message while paused (French)"), blank=True)
    read_only = models.BooleanField(_("read-only mode"), default=False)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )

    class Meta:
        verbose_name = _("kill switches")
        verbose_name_plural = _("kill switches")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class SpikeAlert(models.Model):
    """A burst of signatures from one address range or one email domain, and what was held."""

    class Kind(models.TextChoices):
        IP_RANGE = "ip_range", _("Address range")
        DOMAIN = "domain", _("Email domain")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    key = models.CharField(_("range or domain"), max_length=253)
    first_seen_at = models.DateTimeField(_("first signature"))
    last_seen_at = models.DateTimeField(_("last signature"))
    window_seconds = models.PositiveIntegerField(_("window (seconds)"))
    signature_count = models.PositiveIntegerField(_("signatures"), default=0)
    held_count = models.PositiveIntegerField(_("held for review"), default=0)
    sample_names = models.JSONField(_("sample names"), default=list, blank=True)
    created_at = models.DateTimeField(_("alerted at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("spike alert")
        verbose_name_plural = _("spike alerts")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "key", "last_seen_at"], name="abuse_spike_key")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}: {self.signature_count}"


class Invalidation(models.Model):
    """A bulk invalidation: the organiser's selection, its progress, and its undoing.

    It works through the matching signatures in id order, up to ``upper_id`` (the newest when
    it was confirmed), ``cursor`` marking how far it has gone; each signature it changes gets an
    ``InvalidatedSignature`` row recording its previous state, in the same transaction.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("In progress")
        # Agreeing with "invalidation" (feminine in French).
        CANCELLED = "cancelled", pgettext_lazy("bulk invalidation", "Cancelled")
        DONE = "done", pgettext_lazy("bulk invalidation", "Finished")
        UNDOING = "undoing", _("Being undone")
        UNDONE = "undone", _("Undone")

    campaign = models.ForeignKey(
        "campaign.Campaign", on_delete=models.PROTECT, related_name="+", verbose_name=_("campaign")
    )
    criteria = models.JSONField(_("selection"), default=dict)
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    expected_count = models.PositiveIntegerField(_("matching when confirmed"), default=0)
    upper_id = models.BigIntegerField(_("newest signature"), default=0)
    cursor = models.BigIntegerField(_("done up to signature"), default=0)
    processed_count = models.PositiveIntegerField(_("examined"), default=0)
    changed_count = models.PositiveIntegerField(_("invalidated"), default=0)
    restored_count = models.PositiveIntegerField(_("restored"), default=0)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    created_at = models.DateTimeField(_("confirmed at"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("undone by"),
    )

    class Meta:
        verbose_name = _("bulk invalidation")
        verbose_name_plural = _("bulk invalidations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.reason} ({self.get_status_display()})"

    @property
    def is_working(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING, self.Status.UNDOING)

    @property
    def can_undo(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.CANCELLED) and self.changed_count

    @property
    def percent(self) -> int:
        if self.status in (self.Status.DONE, self.Status.UNDONE):
            return 100
        if self.status == self.Status.UNDOING:
            return min(100, self.restored_count * 100 // max(1, self.changed_count))
        return min(100, self.processed_count * 100 // max(1, self.expected_count))


class InvalidatedSignature(models.Model):
    """One signature a bulk invalidation changed, and its state before, for the undo."""

    invalidation = models.ForeignKey(Invalidation, on_delete=models.CASCADE, related_name="changes")
    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="+")
    previous_moderation = models.CharField(max_length=10)
    previous_hold_reason = models.CharField(max_length=300, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["invalidation", "signature"], name="abuse_invalidated_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["invalidation", "id"],
                condition=Q(handled_at__isnull=True),
                name="abuse_invalidated_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.invalidation_id} · {self.signature_id}"
