"""The public ledger: per campaign, an append-only log of the events that change the public
record of signatures, a Merkle tree over it and the signed heads of that tree.

Rows here are written by ``ledger.services`` only, and never updated except by the sequencer
filling in an entry's place (``index`` and ``leaf_hash``) once. Nothing in this app knows who
signed: an entry names its signature only through a salted commitment (see ``commitments``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign


class Kind(models.TextChoices):
    """What happened to a signature in the public record."""

    COUNTED = "counted", _("Counted")
    WITHDRAWN = "withdrawn", _("Withdrawn by the signer")
    REJECTED = "rejected", _("Removed by the organisers")
    RESTORED = "restored", _("Restored by the organisers")
    ERASED = "erased", _("Personal data erased")


class Reason(models.TextChoices):
    """The public reason category of an entry: a fixed list, never free text."""

    NONE = "", _("No reason given")
    # Counted: how the signature was collected.
    SIGNED_HERE = "signed-here", _("Signed and confirmed on this site")
    IMPORTED = "imported", _("Collected elsewhere and imported by the organisers")
    RECORDED_LATE = "recorded-late", _("Counted before the ledger began")
    # Rejected: why the organisers took it out of the count.
    UNDER_REVIEW = "under-review", _("Held for review")
    FRAUDULENT = "fraudulent", _("Fraudulent or automated")
    IMPERSONATION = "impersonation", _("Signed in someone else's name")
    DUPLICATE = "duplicate", _("The same person signed twice")
    OTHER = "other", _("Other breach of the signing rules")
    # Restored.
    REVIEW_CLEARED = "review-cleared", _("Review found nothing wrong")
    # Erased.
    SIGNER_REQUEST = "signer-request", _("At the signer's request")
    RETENTION = "retention", _("Retention period over")


# Which reasons an entry of each kind may carry.
REASONS_BY_KIND: dict[str, frozenset[str]] = {
    Kind.COUNTED: frozenset({Reason.SIGNED_HERE, Reason.IMPORTED, Reason.RECORDED_LATE}),
    Kind.WITHDRAWN: frozenset({Reason.NONE}),
    Kind.REJECTED: frozenset(
        {
            Reason.UNDER_REVIEW,
            Reason.FRAUDULENT,
            Reason.IMPERSONATION,
            Reason.DUPLICATE,
            Reason.OTHER,
        }
    ),
    Kind.RESTORED: frozenset({Reason.REVIEW_CLEARED, Reason.NONE}),
    Kind.ERASED: frozenset({Reason.SIGNER_REQUEST, Reason.RETENTION, Reason.NONE}),
}


class Log(models.Model):
    """One campaign's log: its current tree (size, root) and running totals, moved only by
    the sequencer under this row's lock."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.PROTECT, related_name="ledger", verbose_name=_("campaign")
    )
    size = models.PositiveBigIntegerField(_("entries sequenced"), default=0)
    root_hash = models.BinaryField(_("root hash"), max_length=32, default=bytes)
    # Signatures counted according to the sequenced entries (see ``services.count_after``).
    counted = models.BigIntegerField(_("counted according to the log"), default=0)
    sequenced_at = models.DateTimeField(_("last sequenced at"), null=True, blank=True)
    # The count job's last check, taken in one database snapshot (services.sequence_and_count):
    # the site's count of counted signatures when the log held ``checked_size`` entries.
    checked_size = models.PositiveBigIntegerField(_("size when checked"), null=True, blank=True)
    checked_site_count = models.BigIntegerField(_("site count when checked"), null=True, blank=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ledger")
        verbose_name_plural = _("ledgers")

    def __str__(self) -> str:
        return f"{self.campaign.slug} ({self.size})"


class Entry(models.Model):
    """One event of the public record. ``index`` and ``leaf_hash`` stay empty until the
    sequencer gives the entry its place (within seconds); everything else is fixed at insert,
    in the same transaction as the change it records."""

    log = models.ForeignKey(Log, on_delete=models.PROTECT, related_name="entries")
    index = models.PositiveBigIntegerField(_("index"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    reason = models.CharField(
        _("reason"), max_length=20, choices=Reason.choices, blank=True, default=""
    )
    commitment = models.CharField(_("commitment"), max_length=64)
    recorded_at = models.DateTimeField(_("recorded at"))
    leaf_hash = models.BinaryField(_("leaf hash"), max_length=32, null=True, blank=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.UniqueConstraint(fields=["log", "index"], name="ledger_entry_place"),
        ]
        indexes = [
            models.Index(fields=["log", "commitment"], name="ledger_entry_commitment"),
            # What the sequencer picks up: entries still waiting for their place, oldest first.
            models.Index(fields=["log", "id"], condition=Q(index=None), name="ledger_unsequenced"),
        ]

    def __str__(self) -> str:
        return f"{self.index if self.index is not None else '…'} {self.kind}"


class Node(models.Model):
    """The hash of a complete perfect subtree: ``2**level`` leaves from leaf
    ``position * 2**level``. Written once, when its last leaf is sequenced."""

    log = models.ForeignKey(Log, on_delete=models.PROTECT, related_name="nodes")
    level = models.PositiveSmallIntegerField()
    position = models.PositiveBigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["log", "level", "position"], name="ledger_node_place")
        ]

    def __str__(self) -> str:
        return f"{self.level}/{self.position}"


class TreeHead(models.Model):
    """A signed statement of the tree at one moment: its size, root and time, signed with the
    ledger's Ed25519 key over ``signing.tree_head_text``."""

    log = models.ForeignKey(Log, on_delete=models.PROTECT, related_name="heads")
    size = models.PositiveBigIntegerField(_("size"))
    root_hash = models.BinaryField(_("root hash"), max_length=32)
    timestamp = models.DateTimeField(_("time"))
    signature = models.BinaryField(_("signature"), max_length=64)
    key_id = models.CharField(_("key id"), max_length=16)
    # Signatures counted according to the entries up to ``size`` (not signed: recomputable).
    counted = models.BigIntegerField(_("counted according to the log"), default=0)

    class Meta:
        verbose_name = _("signed tree head")
        verbose_name_plural = _("signed tree heads")
        ordering = ["-timestamp", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["log", "timestamp"], name="ledger_head_time"),
        ]
        indexes = [models.Index(fields=["log", "size"], name="ledger_head_size")]

    def __str__(self) -> str:
        return f"{self.log.campaign.slug} @ {self.size} ({self.timestamp:%Y-%m-%d %H:%M})"
