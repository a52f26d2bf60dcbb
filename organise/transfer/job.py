"""An import's life, held by an ``ImportJob`` (the file and the progress).

``start_import`` stores the file and hands the job to a worker; ``import_step`` does the next
piece in one transaction under the job's row lock (scan the file, then one chunk of rows, then
finish), so a task can stop and resume anywhere and never imports a row twice;
``continue_import`` runs steps for a while (the task); ``resume_import`` hands a lost job over
again; ``run_for_real`` imports a dry run's file. A finished import is an audit event, and its
report (line, column, reason, in the organiser's language) reads as CSV (``report_csv``).
``forget_old_import_files`` applies the retention periods to files and reports (beat, nightly).

Bad rows are reported while the good rows go in: ``parse`` checks them, ``apply`` writes them.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaign.audit import audit
from campaign.models import Campaign
from signatures.services import request_count_refresh

from ..csvsafe import BOM, CsvLines
from ..models import ImportJob, ImportReportLine
from . import apply, parse, selectors

logger = logging.getLogger(__name__)

CHUNK_ROWS = 200


# --- Starting an import --------------------------------------------------------------------


def start_import(
    *,
    campaign: Campaign,
    file_name: str,
    text: str,
    source_label: str,
    actor=None,
    ask_confirmation: bool = False,
    dry_run: bool = False,
    language: str = "",
    run: bool = True,
) -> ImportJob:
    """Store the file as a new ``ImportJob`` and, once committed, hand it to a worker (unless
    ``run`` is false: the command line runs it itself). Raises ``ImportFileError`` when the
    header row does not fit the format."""
    parse.read_header(text)
    with transaction.atomic():
        job = ImportJob.objects.create(
            campaign=campaign,
            created_by=actor,
            file_name=file_name[:255],
            source_label=source_label[:120],
            ask_confirmation=ask_confirmation,
            dry_run=dry_run,
            language=language or translation.get_language() or settings.LANGUAGE_CODE,
            csv_text=text,
        )
        if run:
            transaction.on_commit(lambda: _hand_over(job.pk))
    return job


def run_for_real(*, job: ImportJob, actor) -> ImportJob:
    """Import the file of finished dry run ``job`` for real, with the same options. Raises
    ``ImportFileError`` when the dry run's file is no longer kept."""
    text = job_text(job.pk)
    if not (job.dry_run and job.status == ImportJob.Status.DONE and text):
        raise parse.ImportFileError(_("This dry run's file is no longer kept: upload it again."))
    return start_import(
        campaign=job.campaign,
        file_name=job.file_name,
        text=text,
        source_label=job.source_label,
        actor=actor,
        ask_confirmation=job.ask_confirmation,
        language=translation.get_language() or job.language,
    )


def resume_import(*, job_id: int) -> bool:
    """Hand an unfinished import to a worker again (after a lost task or a worker's crash);
    it goes on where it stopped. Says whether there was anything to resume."""
    job = ImportJob.objects.defer("csv_text").get(pk=job_id)
    if job.is_finished:
        return False
    transaction.on_commit(lambda: _hand_over(job.pk))
    return True


def _hand_over(job_id: int) -> None:
    # The task calls ``continue_import``: it is imported here, when a job is handed over.
    from ..tasks import run_import

    try:
        run_import.delay(job_id)
    except Exception:  # The broker is down: the progress page offers to resume it.
        logger.exception("Could not queue import %s", job_id)


# --- Running it, step by step ---------------------------------------------------------------

PROGRESS_FIELDS = [
    "status",
    "failure",
    "delimiter",
    "columns",
    "duplicates",
    "total_rows",
    "processed_rows",
    "position",
    "next_line",
    "created_count",
    "updated_count",
    "unchanged_count",
    "error_count",
    "duplicate_count",
    "withdrawn_count",
    "held_count",
    "emails_queued",
    "started_at",
    "finished_at",
    "updated_at",
]


def job_text(job_id: int) -> str:
    return ImportJob.objects.values_list("csv_text", flat=True).get(pk=job_id)


def continue_import(*, job_id: int, seconds: float = 20.0) -> bool:
    """Import chunks of ``job_id`` for about ``seconds``; says whether work remains (the
    caller then runs it again). Safe to call twice at once, or after a crash."""
    deadline = time.monotonic() + seconds
    text = job_text(job_id)
    while True:
        job = import_step(job_id=job_id, text=text)
        if job.is_finished:
            return False
        if time.monotonic() >= deadline:
            return True


def import_step(*, job_id: int, text: str, max_rows: int = CHUNK_ROWS) -> ImportJob:
    """Do the next piece of import ``job_id`` in one transaction: scan the file first, then
    import up to ``max_rows`` rows, then finish. ``text`` is the job's file (read once by the
    caller). The job row is locked, so two workers never do the same chunk; a finished job is
    returned untouched. A file that turns out unreadable stops the job with its reason."""
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(of=("self",))
            .select_related("campaign", "created_by")
            .defer("csv_text")
            .get(pk=job_id)
        )
        if job.is_finished:
            return job
        fields = list(PROGRESS_FIELDS)
        with translation.override(job.language):
            try:
                if job.status == ImportJob.Status.QUEUED:
                    _start(job, parse.scan(text))
                elif not _import_chunk(job, text, max_rows):
                    fields += _finish(job)
            except parse.ImportFileError as error:
                job.status = ImportJob.Status.FAILED
                job.failure = str(error.message)
                job.finished_at = timezone.now()
        job.save(update_fields=fields)
    return job


def _start(job: ImportJob, scan: parse.Scan) -> None:
    """Take in what the scan of the file found; the rows come next."""
    job.delimiter = scan.delimiter
    job.columns = scan.columns
    job.duplicates = scan.duplicates
    job.total_rows = scan.total_rows
    job.position = scan.start
    job.next_line = 2
    job.status = ImportJob.Status.RUNNING
    job.started_at = timezone.now()


def _import_chunk(job: ImportJob, text: str, max_rows: int) -> bool:
    """Import up to ``max_rows`` rows from where ``job`` stands; says whether rows remain."""
    records, more = [], False
    for record in parse.records(
        text, start=job.position, first_line=job.next_line, delimiter=job.delimiter
    ):
        if len(records) == max_rows:
            more = True
            break
        records.append(record)
    tally = apply.Tally(job)
    parsed: list[parse.ImportRow] = []
    for record in records:
        if not record.values:
            continue
        values = parse.row_values(job.columns, record)
        email = values.get("email", "").strip()[:254]
        first = job.duplicates.get(str(record.line))
        if first:
            tally.duplicates += 1
            reason = gettext("The same address is on line %(line)d, which was imported instead.")
            tally.note(
                record.line,
                ImportReportLine.Outcome.DUPLICATE,
                reason % {"line": first},
                column="email",
                email=email,
            )
            continue
        result = parse.parse_row(values, line=record.line)
        if isinstance(result, parse.ImportRow):
            parsed.append(result)
            continue
        tally.errors += 1
        for column, reason in result.items():
            tally.note(
                record.line, ImportReportLine.Outcome.ERROR, reason, column=column, email=email
            )
    apply.write_rows(job, parsed, tally)
    ImportReportLine.objects.bulk_create(sorted(tally.lines, key=lambda entry: entry.line))
    _add_up(job, tally, rows=sum(1 for record in records if record.values))
    if records:
        job.position = records[-1].end
        job.next_line = records[-1].line + 1
    return more


def _add_up(job: ImportJob, tally: apply.Tally, *, rows: int) -> None:
    job.processed_rows += rows
    job.created_count += tally.created
    job.updated_count += tally.updated
    job.unchanged_count += tally.unchanged
    job.error_count += tally.errors
    job.duplicate_count += tally.duplicates
    job.withdrawn_count += tally.withdrawn
    job.held_count += tally.held
    job.emails_queued += tally.emails


def _finish(job: ImportJob) -> list[str]:
    """Mark ``job`` done; for a real import, record it in the audit trail, refresh the public
    count and forget the file (its rows are in the database now). Returns extra fields."""
    job.status = ImportJob.Status.DONE
    job.finished_at = timezone.now()
    if job.dry_run:
        return []
    audit(
        action="signatures.imported",
        actor=job.created_by,
        reason=job.source_label,
        data={
            "import": job.pk,
            "file": job.file_name,
            "label": job.source_label,
            "ask_confirmation": job.ask_confirmation,
            "rows": job.processed_rows,
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "errors": job.error_count,
            "duplicates": job.duplicate_count,
            "withdrawn": job.withdrawn_count,
            "held": job.held_count,
            "emails_queued": job.emails_queued,
        },
    )
    if job.created_count or job.updated_count:
        request_count_refresh()
    job.csv_text = ""
    return ["csv_text"]


# --- The report ----------------------------------------------------------------------------


def report_csv(*, job: ImportJob) -> Iterator[str]:
    """The report as CSV text, streamed, every cell formula-escaped, in the active language."""
    writer = CsvLines()
    yield BOM + writer.line(
        [
            gettext("Line"),
            gettext("Email"),
            gettext("Outcome"),
            gettext("Column"),
            gettext("Reason"),
        ]
    )
    outcomes = dict(ImportReportLine.Outcome.choices)
    for entry in selectors.report_lines(job=job).iterator(chunk_size=2000):
        yield writer.line(
            [entry.line, entry.email, outcomes[entry.outcome], entry.field, entry.reason]
        )


# --- Retention ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportFilesForgotten:
    files: int
    dry_run_files: int
    report_lines: int


def forget_old_import_files(*, now: datetime.datetime | None = None) -> ImportFilesForgotten:
    """Apply the retention periods of imports: an import that never finished loses its file
    ``IMPORT_FILE_RETENTION_DAYS`` after the upload (it stops, saying why), a finished dry run
    loses its file ``IMPORT_DRY_RUN_RETENTION_DAYS`` after it ran (it can no longer be run for
    real), and every report line goes ``IMPORT_REPORT_RETENTION_DAYS`` after the upload. The
    jobs and their counts stay. Each step is one statement; idempotent."""
    now = now or timezone.now()
    days = datetime.timedelta
    with transaction.atomic():
        stalled = list(
            ImportJob.objects.select_for_update()
            .filter(created_at__lt=now - days(days=settings.IMPORT_FILE_RETENTION_DAYS))
            .exclude(status__in=[ImportJob.Status.DONE, ImportJob.Status.FAILED])
            .only("pk", "language")
        )
        for job in stalled:
            with translation.override(job.language):
                failure = gettext("The file was deleted: imports keep it for %(days)d days.") % {
                    "days": settings.IMPORT_FILE_RETENTION_DAYS
                }
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJob.Status.FAILED, failure=failure, finished_at=now, updated_at=now
            )
        files = (
            ImportJob.objects.filter(
                created_at__lt=now - days(days=settings.IMPORT_FILE_RETENTION_DAYS)
            )
            .exclude(csv_text="")
            .update(csv_text="")
        )
        dry_run_files = (
            ImportJob.objects.filter(dry_run=True)
            .filter(finished_at__lt=now - days(days=settings.IMPORT_DRY_RUN_RETENTION_DAYS))
            .exclude(csv_text="")
            .update(csv_text="")
        )
    report_lines, _kinds = ImportReportLine.objects.filter(
        job__created_at__lt=now - days(days=settings.IMPORT_REPORT_RETENTION_DAYS)
    ).delete()
    logger.info(
        "Retention: %s import files, %s dry-run files and %s report lines deleted",
        files,
        dry_run_files,
        report_lines,
    )
    return ImportFilesForgotten(files=files, dry_run_files=dry_run_files, report_lines=report_lines)
