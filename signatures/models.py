"""Who signed: the supporter (a person, found by their email) and their signature of a campaign."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from campaign.models import Campaign, FieldOfWork

from .normalize import email_key, search_key

MAX_LINKS = 5


def new_public_id() -> str:
    """A short random id that makes a profile's address unique without revealing anything."""
    return secrets.token_hex(4)


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
    # The public profile.
    public_id = models.CharField(
        _("public id"), max_length=16, unique=True, default=new_public_id, editable=False
    )
    slug = models.SlugField(_("profile address"), max_length=160, allow_unicode=True)
    other_fields = models.JSONField(_("other fields of work"), default=list, blank=True)
    bio = models.TextField(_("short biography"), max_length=1000, blank=True)
    links = models.JSONField(_("links"), default=list, blank=True)
    isni = models.CharField("ISNI", max_length=16, blank=True)
    ipi = models.CharField("IPI", max_length=11, blank=True)
    imdb_id = models.CharField(_("IMDb name id"), max_length=12, blank=True)
    musicbrainz_id = models.CharField(_("MusicBrainz artist id"), max_length=36, blank=True)
    wikidata_id = models.CharField(_("Wikidata item"), max_length=16, blank=True)
    # Derived in save(): what the directory searches (the public name only, folded) and what
    # the impersonation guard compares (the full name's confusables skeleton).
    search_name = models.CharField(_("search name"), max_length=120, blank=True, editable=False)
    name_skeleton = models.CharField(
        _("name skeleton"), max_length=200, blank=True, editable=False, db_index=True
    )
    # Curated by organisers.
    is_featured = models.BooleanField(_("featured"), default=False)
    featured_position = models.PositiveSmallIntegerField(_("featured position"), default=0)
    # Set only from a decided Verification (services.record_verification).
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True, editable=False)
    verification_method = models.CharField(
        _("verified by"), max_length=20, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("supporter")
        verbose_name_plural = _("supporters")
        indexes = [
            models.Index(fields=["field_of_work"], name="supporter_field"),
            models.Index(fields=["country"], name="supporter_country"),
            models.Index(
                fields=["featured_position"],
                condition=Q(is_featured=True),
                name="supporter_featured",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs) -> None:
        from .confusables import name_skeleton

        self.email_key = email_key(self.email)
        # Folding can lengthen a name ("ß" becomes "ss"): the key keeps what its column holds.
        self.search_name = search_key(self.public_name)[:120]
        self.name_skeleton = name_skeleton(self.full_name)[:200]
        base = slugify(self.public_name, allow_unicode=True)[:140] or "supporter"
        self.slug = f"{base}-{self.public_id}"
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {
                *kwargs["update_fields"],
                "email_key",
                "search_name",
                "name_skeleton",
                "slug",
            }
        super().save(*args, **kwargs)

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def shows_publicly(self) -> bool:
        return self.name_display != NameDisplay.HIDDEN

    @property
    def public_identifiers(self) -> list[dict]:
        """The identifiers the supporter gave, for display: label, formatted value, link."""
        from .identifiers import IdentifierKind, format_identifier, identifier_url

        shown = []
        for kind, field, label in (
            (IdentifierKind.ISNI, "isni", "ISNI"),
            (IdentifierKind.IPI, "ipi", "IPI"),
            (IdentifierKind.IMDB, "imdb_id", "IMDb"),
            (IdentifierKind.MUSICBRAINZ, "musicbrainz_id", "MusicBrainz"),
            (IdentifierKind.WIKIDATA, "wikidata_id", "Wikidata"),
        ):
            value = getattr(self, field)
            if value:
                shown.append(
                    {
                        "label": label,
                        "display": format_identifier(kind, value),
                        "url": identifier_url(kind, value),
                    }
                )
        return shown

    @property
    def all_fields(self) -> list[str]:
        """The primary field of work, then the others, as display labels."""
        labels = dict(FieldOfWork.choices)
        codes = [self.field_of_work, *(c for c in self.other_fields if c != self.field_of_work)]
        return [labels[c] for c in codes if c in labels]

    @property
    def public_name(self) -> str:
        """The name as the supporter chose to show it; empty when they asked not to be listed."""
        if self.name_display == NameDisplay.HIDDEN:
            return ""
        if self.name_display == NameDisplay.INITIAL:
            first, _space, rest = self.full_name.partition(" ")
            return f"{first} {rest.strip()[:1]}." if rest.strip() else first
        return self.full_name


# The impersonation guard's hold reason starts with this (the protected name follows).
NAME_HOLD_PREFIX = "Name confusable with"


def name_hold_reason(protected_name: str) -> str:
    return f"{NAME_HOLD_PREFIX} {protected_name}"[:300]


class SignatureQuerySet(models.QuerySet):
    def counted(self) -> SignatureQuerySet:
        """Signatures that count toward the total: confirmed, and not held for review or
        rejected by organisers."""
        return self.filter(status=Signature.Status.CONFIRMED, moderation=Signature.Moderation.OK)

    def shown_publicly(self) -> SignatureQuerySet:
        """Counted signatures whose signer chose to be listed."""
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

    class Moderation(models.TextChoices):
        OK = "ok", _("Not under review")
        HELD = "held", _("Held for review")
        REJECTED = "rejected", _("Rejected")

    class Source(models.TextChoices):
        FORM = "form", _("Signed on this site")
        IMPORT = "import", _("Imported")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    moderation = models.CharField(
        _("review"), max_length=10, choices=Moderation.choices, default=Moderation.OK
    )
    hold_reason = models.CharField(_("why it is held"), max_length=300, blank=True)
    comment = models.TextField(_("public comment"), max_length=500, blank=True)
    comment_hidden = models.BooleanField(
        _("comment hidden"), default=False, help_text=_("Organisers hid the comment.")
    )
    # Where the signature was collected: this site's form, or an organisers' import.
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.FORM
    )
    source_detail = models.CharField(
        _("source details"),
        max_length=120,
        blank=True,
        help_text=_("For imports: where the signatures were collected (paper, a partner's list)."),
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    # Consent, as worded when it was given.
    agreed_at = models.DateTimeField(_("agreed to the appeal at"))
    wants_updates = models.BooleanField(_("wants campaign updates"), default=False)
    updates_consent_text = models.TextField(_("updates consent wording"), blank=True)
    consent_version = models.CharField(_("consent wording version"), max_length=20)
    consent_recorded_at = models.DateTimeField(_("consent recorded at"))
    updates_unsubscribed_at = models.DateTimeField(
        _("unsubscribed from updates at"), null=True, blank=True
    )
    # Life cycle.
    created_at = models.DateTimeField(_("signed at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    last_email_at = models.DateTimeField(_("last email sent at"), null=True, blank=True)
    emails_sent = models.PositiveSmallIntegerField(_("emails sent"), default=0)
    # The public ledger (ledger/): the salt of this signature's commitment, given to the signer
    # alone in their receipt and blanked when their data is erased; the commitment stays, so
    # later events of an anonymous signature are still recorded (signatures.services.public_record).
    ledger_salt = models.BinaryField(_("ledger salt"), max_length=32, blank=True, default=bytes)
    ledger_commitment = models.CharField(
        _("ledger commitment"), max_length=64, blank=True, editable=False
    )

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
            # The directory's order (newest first), over the rows it can show. The signer's id
            # rides along (PostgreSQL's INCLUDE): a search walks this index testing each row's
            # signer against the names it found, without reading the table (an index-only scan
            # wherever vacuum has marked the pages all-visible; docs/performance.md).
            models.Index(
                fields=["campaign", "-confirmed_at", "-id"],
                include=["supporter"],
                condition=Q(status="confirmed", moderation="ok"),
                name="signature_directory",
            ),
            # The back office's lists (newest first, any status) and its review queue.
            models.Index(fields=["campaign", "-created_at", "-id"], name="signature_recent"),
            models.Index(
                fields=["campaign", "created_at", "id"],
                condition=Q(moderation="held"),
                name="signature_held",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supporter} · {self.campaign} ({self.get_status_display()})"

    @property
    def is_counted(self) -> bool:
        return self.status == self.Status.CONFIRMED and self.moderation == self.Moderation.OK

    @property
    def is_held_for_name(self) -> bool:
        """Held by the impersonation guard (the signer may be told why, unlike other holds)."""
        return self.moderation == self.Moderation.HELD and self.hold_reason.startswith(
            NAME_HOLD_PREFIX
        )


class Verification(models.Model):
    """A claim that a supporter is who their profile says, and the decision on it."""

    class Method(models.TextChoices):
        LINK_BACK = "link_back", _("A link back from a page they control")
        REVIEW = "review", _("Review of the evidence by organisers")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting a decision")
        VERIFIED = "verified", _("Verified")
        REFUSED = "refused", _("Refused")

    supporter = models.ForeignKey(
        Supporter,
        on_delete=models.CASCADE,
        related_name="verifications",
        verbose_name=_("supporter"),
    )
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)

    class Meta:
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="verification_queue")]

    def __str__(self) -> str:
        return f"{self.supporter} · {self.get_method_display()} · {self.get_status_display()}"
