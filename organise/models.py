"""The back office's permissions. They belong to no table of their own: ``BackOffice`` exists
only to carry them (Django attaches permissions to a model), and the roles in ``roles.py`` are
groups holding them.

Below it, the CSV imports' own rows: ``ImportJob`` and its report (``organise/transfer/``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BackOffice(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = _("back office")
        permissions = [
            ("view_backoffice", _("See the dashboard, queues and lists (public fields only)")),
            ("moderate", _("Verify, hold, release, reject, restore and feature signatories")),
            ("view_audit", _("Read the audit trail")),
            ("view_personal_data", _("See signatories' email addresses")),
            ("import_signatures", _("Import signatures from CSV")),
            ("export_signatories", _("Export signatories as CSV")),
            ("send_updates", _("Write and send updates to signatories")),
            ("manage_outbox", _("See failed emails, retry or cancel them")),
            (
                "manage_abuse",
                _(
                    "Edit rate limits, block and allow lists and the kill switches; "
                    "run bulk invalidations"
                ),
            ),
            ("handle_privacy_requests", _("Export or erase a signatory's data on request")),
            ("draft_tracker", _("Write drafts for the AI companies tracker")),
            (
                "publish_tracker",
                _("Publish or send back the tracker's drafts, list companies, edit the criteria"),
            ),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


# --- CSV imports (organise/transfer/) -------------------------------------------------------


class ImportJob(models.Model):
    """One CSV file an organiser imports (or tries in a dry run), and how far it has gone.

    The file's text is kept on the row, never on disk, until the import finishes (a dry run
    keeps it, so that it can be run for real without uploading it again). The work goes in
    chunks: ``position`` and ``next_line`` say where the next chunk starts, and each chunk
    saves them with its counts in the transaction that writes its rows, so a task that runs
    twice, or resumes after a crash, never imports a row twice.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("In progress")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Stopped")

    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("last progress at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    campaign = models.ForeignKey(
        "campaign.Campaign",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("campaign"),
    )
    file_name = models.CharField(_("file name"), max_length=255)
    source_label = models.CharField(_("where the signatures were collected"), max_length=120)
    ask_confirmation = models.BooleanField(_("ask each person to confirm by email"), default=False)
    dry_run = models.BooleanField(_("dry run"), default=False)
    # The organiser's language: the report's reasons are written in it.
    language = models.CharField(_("language"), max_length=8, default="en")
    csv_text = models.TextField(_("file contents"), blank=True)
    # Read from the header row when the job is scanned.
    delimiter = models.CharField(_("delimiter"), max_length=1, default=",")
    columns = models.JSONField(_("columns"), default=list, blank=True)
    # {line: first line with the same email address}, found by the scan.
    duplicates = models.JSONField(_("repeated addresses"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    failure = models.TextField(_("why it stopped"), blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    processed_rows = models.PositiveIntegerField(_("rows done"), default=0)
    position = models.PositiveBigIntegerField(_("next row's offset"), default=0)
    next_line = models.PositiveIntegerField(_("next row's line"), default=2)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    duplicate_count = models.PositiveIntegerField(_("repeated rows"), default=0)
    withdrawn_count = models.PositiveIntegerField(_("withdrawn, left alone"), default=0)
    held_count = models.PositiveIntegerField(_("held for review"), default=0)
    emails_queued = models.PositiveIntegerField(_("confirmation emails queued"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)


class ImportReportLine(models.Model):
    """Something an organiser should know about one row of an import: why it was refused,
    left alone, held for review, or which fields it changed. Rows created or unchanged leave
    no line: the job's counts say how many there were."""

    class Outcome(models.TextChoices):
        ERROR = "error", _("Not imported: a mistake in the row")
        DUPLICATE = "duplicate", _("Not imported: the address is repeated in the file")
        WITHDRAWN = "withdrawn", _("Left alone: the signature was withdrawn")
        HELD = "held", _("Imported, held for review")
        UPDATED = "updated", _("Updated")

    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="report_lines", verbose_name=_("import")
    )
    line = models.PositiveIntegerField(_("line"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    field = models.CharField(_("column"), max_length=40, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)

    class Meta:
        verbose_name = _("import report line")
        verbose_name_plural = _("import report lines")
        ordering = ["job", "line", "id"]
        indexes = [models.Index(fields=["job", "line", "id"], name="import_report_order")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.line} {self.outcome}"
