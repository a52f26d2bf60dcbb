"""The accountability tracker: AI companies measured against the appeal's demands.

- ``Company``: who is tracked (its logo re-encoded as a small PNG, kept on the row).
- ``Criterion``: what they are measured against; the appeal's three demands are fixed rows
  (created by a migration), organisers may add more.
- ``Assessment``: one company × one criterion. What the public sees is its *published*
  ``Revision``; every edit is a new ``Revision`` (a draft written by a moderator, published or
  sent back by an organiser), so a published entry never changes without review.
- ``Source``: a dated public document behind a revision or a deal. A revision without one
  cannot be published.
- ``StatusChange``: written when a publication changes the public status; the company's
  timeline and the Atom feed read it.
- ``Deal``: a licensing agreement made public, with its parties and sources.
- ``SupporterAction``: one signatory wrote to one company (counted once, nothing else kept).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .safeurls import validate_public_url


class CompanyKind(models.TextChoices):
    MODEL_DEVELOPER = "model-developer", _("AI model developer")
    PLATFORM = "platform", _("Platform")
    LABEL_PUBLISHER = "label-publisher", _("Label or publisher")


class Status(models.TextChoices):
    """A company's public position on one criterion. ``RANK`` orders them for sorting."""

    NONE = "none", _("No public commitment")
    PARTIAL = "partial", _("Partial")
    MADE = "made", _("Commitment made")
    KEPT = "kept", _("Commitment kept")
    BROKEN = "broken", _("Commitment broken")


# Best first: what "sort by this demand" means.
STATUS_RANK = {
    Status.KEPT: 0,
    Status.MADE: 1,
    Status.PARTIAL: 2,
    Status.NONE: 3,
    Status.BROKEN: 4,
}
# A symbol for each status, so the table reads without colour (shown beside the words).
STATUS_ICON = {
    Status.NONE: "○",
    Status.PARTIAL: "◐",
    Status.MADE: "●",
    Status.KEPT: "✓",
    Status.BROKEN: "✗",
}


class PublicUrlField(models.URLField):
    """An http(s) link without credentials (``tracker.safeurls``)."""

    default_validators = [validate_public_url]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 500)
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        from django import forms

        kwargs.setdefault("form_class", forms.CharField)
        kwargs.setdefault("widget", forms.URLInput)
        return super(models.URLField, self).formfield(**kwargs)


class CompanyQuerySet(models.QuerySet):
    def listed(self) -> CompanyQuerySet:
        """Companies the public sees (without the logo's bytes)."""
        return self.filter(is_listed=True).defer("logo_png")


class Company(models.Model):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("short name in addresses"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=CompanyKind.choices)
    website = PublicUrlField(_("website"), blank=True)
    contact_email = models.EmailField(
        _("public contact address"),
        blank=True,
        help_text=_("Where signatories may write to the company; leave empty for no button."),
    )
    # The logo as re-encoded by tracker.logos: a PNG of at most LOGO_MAX_SIDE pixels a side.
    logo_png = models.BinaryField(_("logo (PNG)"), null=True, blank=True, editable=False)
    logo_version = models.CharField(max_length=16, blank=True, editable=False)
    logo_width = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    logo_height = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    is_listed = models.BooleanField(
        _("listed publicly"),
        default=False,
        help_text=_("Set when an organiser first publishes something about the company."),
    )
    is_sample = models.BooleanField(
        _("sample data"),
        default=False,
        help_text=_("Made up for a demonstration (manage.py load_tracker_samples)."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self) -> str:
        return self.name

    @property
    def has_logo(self) -> bool:
        return bool(self.logo_version)


class Criterion(models.Model):
    """What companies are measured against. The three ``CORE`` rows are the appeal's demands."""

    LICENSING = "licensing"
    OPT_OUT = "opt-out"
    HUMAN_CREATIVITY = "human-creativity"
    CORE = (LICENSING, OPT_OUT, HUMAN_CREATIVITY)

    code = models.SlugField(_("code"), max_length=40, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=600, blank=True)
    is_core = models.BooleanField(default=False, editable=False)
    is_active = models.BooleanField(_("shown"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")

    def __str__(self) -> str:
        return self.title


class Assessment(models.Model):
    """One company against one criterion; the public sees ``published`` (or nothing yet)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="assessments")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="assessments")
    published = models.OneToOneField(
        "Revision", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "criterion"], name="tracker_one_assessment")
        ]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")

    def __str__(self) -> str:
        return f"{self.company} × {self.criterion}"


class Revision(models.Model):
    """A proposed or published state of an assessment. Never edited once published."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        SUPERSEDED = "superseded", _("Replaced by a later version")
        RETURNED = "returned", _("Sent back")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="revisions")
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    summary = models.TextField(_("summary"), max_length=800)
    happened_on = models.DateField(
        _("date of the change"), help_text=_("When the company's position became what it is.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    review_note = models.CharField(_("note to the author"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")

    def __str__(self) -> str:
        return f"{self.assessment} ({self.get_state_display()})"


class Deal(models.Model):
    """A licensing agreement made public."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    slug = models.SlugField(_("short name in addresses"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    licensed = models.TextField(_("what is licensed"), max_length=800)
    announced_on = models.DateField(_("date announced"))
    companies = models.ManyToManyField(Company, related_name="deals", blank=True)
    other_parties = models.CharField(
        _("other parties"),
        max_length=300,
        blank=True,
        help_text=_("Parties that are not tracked companies, separated by commas."),
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    is_sample = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-announced_on", "-id"]
        verbose_name = _("licensing deal")
        verbose_name_plural = _("licensing deals")

    def __str__(self) -> str:
        return self.title

    @property
    def other_party_names(self) -> list[str]:
        return [name.strip() for name in self.other_parties.split(",") if name.strip()]


class Source(models.Model):
    """A dated public document: behind a revision, or behind a deal (exactly one of them)."""

    revision = models.ForeignKey(
        Revision, on_delete=models.CASCADE, null=True, blank=True, related_name="sources"
    )
    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, null=True, blank=True, related_name="sources"
    )
    url = PublicUrlField(_("address"))
    title = models.CharField(_("title"), max_length=200)
    published_on = models.DateField(_("date"))
    archive_url = PublicUrlField(_("archived copy"), blank=True)

    class Meta:
        ordering = ["-published_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(revision__isnull=False, deal__isnull=True)
                | Q(revision__isnull=True, deal__isnull=False),
                name="tracker_source_has_one_owner",
            )
        ]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return self.title


class StatusChange(models.Model):
    """The public status of an assessment changed (``from_status`` empty: first published)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="changes")
    revision = models.OneToOneField(Revision, on_delete=models.CASCADE, related_name="change")
    from_status = models.CharField(max_length=10, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Status.choices)
    happened_on = models.DateField()
    published_at = models.DateTimeField(db_index=True)
    source = models.ForeignKey(Source, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-happened_on", "-published_at", "-id"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        return f"{self.assessment}: {self.from_status or '∅'} → {self.to_status}"


class SupporterAction(models.Model):
    """A signatory wrote to a company from its page. Counted once per person; nothing else
    (no date, no address, no content) is kept. Goes with the supporter when erased."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="supporter_actions")
    supporter = models.ForeignKey(
        "signatures.Supporter", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "supporter"], name="tracker_one_action")
        ]

    def __str__(self) -> str:
        return f"{self.supporter_id} → {self.company_id}"
