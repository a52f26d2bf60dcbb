"""Importing signatures collected elsewhere (paper forms, a partner's list) from CSV.

The format is documented in docs/organisers.md. Each row is validated by the public sign
form's own rules (``signatures.forms.SignForm`` and ``signatures.normalize``), then upserted by
normalised email address:

- a new address becomes a supporter and a signature (``source=import``), counted at once, or
  pending with a confirmation email when the organiser asks for one;
- a known address fills in what its profile lacks (and, when the profile is not the person's
  own yet, takes the changed values); a pending signature is confirmed unless confirmation was
  asked; a confirmed one is never downgraded; a withdrawn one is never touched;
- importing the same file again changes nothing.

Bad rows are reported (line, column, reason, in the organiser's language) while the good rows
go in. An ``ImportJob`` holds the file and the progress: ``import_step`` does one chunk in one
transaction, so a task can stop and resume anywhere and never imports a row twice.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign
from consent.models import ConsentRecord
from consent.services import record_signing_consents
from signatures.models import NameDisplay, Signature, Supporter, name_hold_reason
from signatures.normalize import email_key, normalize_email
from signatures.services import (
    audit,
    hold_if_impersonating,
    impersonation_match,
    request_count_refresh,
    resend_confirmation,
)

from .csvsafe import BOM, CsvLines
from .models import ImportJob, ImportReportLine

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("email", "full_name", "field_of_work", "country")
OPTIONAL_COLUMNS = (
    "known_for",
    "link",
    "language",
    "comment",
    "wants_updates",
    "name_display",
    "signed_at",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
# Other headings people write for the same columns.
ALIASES = {
    "e_mail": "email",
    "email_address": "email",
    "name": "full_name",
    "field": "field_of_work",
    "website": "link",
    "consent": "wants_updates",
    "signed_on": "signed_at",
    "date": "signed_at",
}
# A row longer than this is refused with the file: no name or comment needs it.
MAX_ROW_CHARS = 16_000
CHUNK_ROWS = 200
# Consent is recorded in English whatever the organiser's language: it is evidence, not text
# for the screen.
CONSENT_RECORD = (
    "Consent to campaign updates was collected outside this site and recorded by an "
    "organisers' import (import {job}, “{label}”)."
)


class ImportFileError(Exception):
    """The file cannot be imported at all; ``message`` says why, in the organiser's words."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


# --- Reading the file -----------------------------------------------------------------------


def decode_csv(data: bytes) -> str:
    """The file's text: UTF-8, with or without a byte-order mark. Raises ``ImportFileError``
    for another encoding or binary content."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            _(
                "This file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8” "
                "and choose it again."
            )
        ) from error
    if "\x00" in text:
        raise ImportFileError(_("This file holds binary data, not CSV text."))
    return text


@dataclass(frozen=True)
class Header:
    delimiter: str
    # The canonical column of each position, or "" for a column the import ignores.
    columns: list[str]
    ignored: list[str]


def _canonical(heading: str) -> str:
    name = heading.strip().strip("\ufeff").casefold().replace("-", "_").replace(" ", "_")
    return ALIASES.get(name, name)


def read_header(text: str) -> Header:
    """The header row's delimiter (``,`` or ``;``) and columns. Raises ``ImportFileError``
    when the file is empty or a required column is missing."""
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        headings = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error as error:
        raise ImportFileError(
            _("The header row cannot be read: %(error)s") % {"error": error}
        ) from error
    if not any(heading.strip() for heading in headings):
        raise ImportFileError(_("The file is empty: its first line must name the columns."))
    columns, ignored, seen = [], [], set()
    for heading in headings:
        name = _canonical(heading)
        if name in COLUMNS and name not in seen:
            columns.append(name)
            seen.add(name)
        else:
            columns.append("")
            if heading.strip():
                ignored.append(heading.strip())
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    if missing:
        raise ImportFileError(
            _("The header row lacks these columns: %(missing)s. It has: %(found)s.")
            % {"missing": ", ".join(missing), "found": ", ".join(h.strip() for h in headings)}
        )
    return Header(delimiter=delimiter, columns=columns, ignored=ignored)


@dataclass(frozen=True)
class Record:
    line: int
    values: list[str]
    end: int


def _records(text: str, *, start: int, first_line: int, delimiter: str) -> Iterator[Record]:
    """The rows of ``text`` from character offset ``start`` (a row boundary), numbered as a
    spreadsheet numbers them (the header is line 1), each with the offset where it ends."""
    buffer = io.StringIO(text, newline="")
    buffer.seek(start)
    reader = csv.reader(buffer, delimiter=delimiter)
    line = first_line
    for cells in reader:
        yield Record(line=line, values=cells, end=buffer.tell())
        line += 1


def _valid_email_key(raw: str) -> str:
    try:
        email = normalize_email(raw)
        forms.EmailField().clean(email)
    except ValidationError:
        return ""
    return email_key(email)


def _is_valid(header: Header, record: Record) -> bool:
    values = {name: cell for name, cell in zip(header.columns, record.values, strict=False) if name}
    return isinstance(parse_row(values, line=record.line), ImportRow)


def _scan(job: ImportJob, text: str) -> None:
    """Read the whole file once: its columns, how many rows it has, which rows repeat an
    address seen earlier (the first row with it that is valid wins: a refused row does not
    hide a good one after it). Raises ``ImportFileError``."""
    header = read_header(text)
    start = next(_records(text, start=0, first_line=1, delimiter=header.delimiter)).end
    email_at = header.columns.index("email")
    first_seen: dict[str, int] = {}
    duplicates: dict[str, int] = {}
    total = 0
    try:
        for record in _records(text, start=start, first_line=2, delimiter=header.delimiter):
            if not record.values:
                continue
            if sum(len(cell) for cell in record.values) > MAX_ROW_CHARS:
                raise ImportFileError(
                    _("Line %(line)d is too long to be a signature.") % {"line": record.line}
                )
            total += 1
            raw = record.values[email_at] if email_at < len(record.values) else ""
            key = _valid_email_key(raw)
            if key and key in first_seen:
                duplicates[str(record.line)] = first_seen[key]
            elif key and _is_valid(header, record):
                first_seen[key] = record.line
    except csv.Error as error:
        raise ImportFileError(
            _("The file cannot be read as CSV: %(error)s") % {"error": error}
        ) from error
    job.delimiter = header.delimiter
    job.columns = header.columns
    job.duplicates = duplicates
    job.total_rows = total
    job.position = start
    job.next_line = 2


# --- One row -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRow:
    """A row that passed every check, normalised as the sign form normalises."""

    line: int
    email: str
    full_name: str
    field_of_work: str
    country: str
    name_display: str
    language: str
    known_for: str = ""
    link: str = ""
    comment: str = ""
    wants_updates: bool = False
    signed_at: datetime.datetime | None = None

    # What the row form's cleaned data gives.
    CLEANED: ClassVar[tuple[str, ...]] = (
        "email",
        "full_name",
        "field_of_work",
        "country",
        "name_display",
        "language",
        "known_for",
        "link",
        "comment",
        "wants_updates",
        "signed_at",
    )

    @property
    def key(self) -> str:
        return email_key(self.email)

    def profile(self) -> dict[str, str]:
        return {
            "full_name": self.full_name,
            "field_of_work": self.field_of_work,
            "country": self.country,
            "name_display": self.name_display,
            "known_for": self.known_for,
            "link": self.link,
            "language": self.language,
        }


def parse_row(values: dict[str, str], *, line: int) -> ImportRow | dict[str, str]:
    """Check and normalise one row (its cells by column) with the sign form's rules: the row
    ready to import, or {column: why it was refused}."""
    from .forms_transfer import ImportRowForm

    form = ImportRowForm(data=values)
    if form.is_valid():
        return form.row(line=line)
    return form.problems()


# --- Writing one row -----------------------------------------------------------------------


class Outcome:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class RowResult:
    outcome: str
    changed: tuple[str, ...] = ()
    held_as: str = ""
    emailed: bool = False


@dataclass(frozen=True)
class Existing:
    supporters: dict[str, Supporter]
    signatures: dict[int, Signature]


def _existing(rows: list[ImportRow], campaign: Campaign) -> Existing:
    """The supporters a chunk's rows name, and their signatures of ``campaign``, locked."""
    found = Supporter.objects.select_for_update().filter(email_key__in={r.key for r in rows})
    supporters = {supporter.email_key: supporter for supporter in found}
    signatures = Signature.objects.select_for_update().filter(
        campaign=campaign, supporter__in=[s.pk for s in supporters.values()]
    )
    return Existing(supporters, {signature.supporter_id: signature for signature in signatures})


def _apply(job: ImportJob, row: ImportRow, existing: Existing) -> RowResult:
    """Create or update the supporter and the signature ``row`` names."""
    supporter = existing.supporters.get(row.key)
    if supporter is None:
        profile = row.profile()
        profile["name_display"] = row.name_display or NameDisplay.FULL
        profile["language"] = row.language or settings.LANGUAGE_CODE
        supporter = Supporter(email=row.email, **profile)
        supporter.save()
        existing.supporters[row.key] = supporter
        return _new_signature(job, supporter, row)
    signature = existing.signatures.get(supporter.pk)
    if signature is not None and signature.status == Signature.Status.WITHDRAWN:
        return RowResult(Outcome.WITHDRAWN)
    changed = _update_profile(supporter, row)
    if signature is None:
        return _new_signature(job, supporter, row)
    signature.supporter = supporter
    changed += _update_signature(job, signature, row)
    held_as = ""
    if "full_name" in changed and hold_if_impersonating(signature=signature):
        held_as = signature.hold_reason
    if not changed:
        return RowResult(Outcome.UNCHANGED)
    return RowResult(Outcome.UPDATED, changed=tuple(changed), held_as=held_as)


def _update_profile(supporter: Supporter, row: ImportRow) -> list[str]:
    """Fill in what the profile lacks. A profile the person holds (an account, or verified)
    keeps its values; any other takes the row's changed values, as the sign form's details
    replace a pending signer's. An empty cell never erases anything. Returns what changed."""
    owned = supporter.user_id is not None or supporter.verified_at is not None
    changed = []
    for name, value in row.profile().items():
        current = getattr(supporter, name)
        current = getattr(current, "code", current)  # a Country
        if value and value != current and (not current or not owned):
            setattr(supporter, name, value)
            changed.append(name)
    if changed:
        supporter.save(update_fields=changed)
    return changed


def _new_signature(job: ImportJob, supporter: Supporter, row: ImportRow) -> RowResult:
    """Sign for ``supporter`` as the import says: counted at once, or pending with the
    confirmation email the sign form's resend service queues; held if the name could pass for
    a protected one (the impersonation guard the sign form uses)."""
    now = timezone.now()
    signed = row.signed_at or now
    signature = Signature(
        campaign=job.campaign,
        supporter=supporter,
        status=Signature.Status.PENDING if job.ask_confirmation else Signature.Status.CONFIRMED,
        confirmed_at=None if job.ask_confirmation else signed,
        source=Signature.Source.IMPORT,
        source_detail=job.source_label,
        language=row.language or supporter.language,
        comment=row.comment,
        agreed_at=signed,
        wants_updates=row.wants_updates,
        updates_consent_text=(
            CONSENT_RECORD.format(job=job.pk, label=job.source_label) if row.wants_updates else ""
        ),
        consent_version=f"import:{job.pk}"[:20],
        consent_recorded_at=now,
    )
    protected = impersonation_match(supporter=supporter, campaign=job.campaign)
    if protected:
        signature.moderation = Signature.Moderation.HELD
        signature.hold_reason = name_hold_reason(protected)
    signature.save()
    record_signing_consents(
        signature=signature, supporter=supporter, method=ConsentRecord.Method.IMPORT, when=signed
    )
    if row.signed_at:
        Signature.objects.filter(pk=signature.pk).update(created_at=row.signed_at)
    if job.ask_confirmation:
        resend_confirmation(signature_id=signature.pk)
    return RowResult(Outcome.CREATED, held_as=protected, emailed=job.ask_confirmation)


def _update_signature(job: ImportJob, signature: Signature, row: ImportRow) -> list[str]:
    """A pending signature is confirmed (the person signed elsewhere) unless the organiser asked
    for email confirmation; an empty comment is filled in. Nothing else changes: never the
    status of a confirmed signature, never what the person said about updates."""
    changed = []
    if signature.status == Signature.Status.PENDING and not job.ask_confirmation:
        signature.status = Signature.Status.CONFIRMED
        signature.confirmed_at = row.signed_at or timezone.now()
        changed += ["status", "confirmed_at"]
    if row.comment and not signature.comment:
        signature.comment = row.comment
        changed.append("comment")
    if changed:
        signature.save(update_fields=changed)
    return changed


@dataclass
class Tally:
    """What one chunk did: counts, and the lines for the report."""

    job: ImportJob
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    duplicates: int = 0
    withdrawn: int = 0
    held: int = 0
    emails: int = 0
    lines: list[ImportReportLine] = field(default_factory=list)

    def note(self, line: int, outcome: str, reason: str, *, column="", email="") -> None:
        self.lines.append(
            ImportReportLine(
                job=self.job, line=line, outcome=outcome, field=column, reason=reason, email=email
            )
        )

    def count(self, row: ImportRow, result: RowResult) -> None:
        Line = ImportReportLine.Outcome
        if result.outcome == Outcome.CREATED:
            self.created += 1
        elif result.outcome == Outcome.UNCHANGED:
            self.unchanged += 1
        elif result.outcome == Outcome.WITHDRAWN:
            self.withdrawn += 1
            reason = gettext(
                "This person withdrew their signature: it stays withdrawn and their details "
                "were not changed."
            )
            self.note(row.line, Line.WITHDRAWN, reason, email=row.email)
        else:
            self.updated += 1
            columns = ", ".join(name for name in result.changed if name in COLUMNS)
            self.note(row.line, Line.UPDATED, _changes(result), column=columns, email=row.email)
        self.emails += result.emailed
        if result.held_as:
            self.held += 1
            reason = gettext("Held for review: %(reason)s.") % {"reason": result.held_as}
            self.note(row.line, Line.HELD, reason, column="full_name", email=row.email)


def _changes(result: RowResult) -> str:
    columns = ", ".join(name for name in result.changed if name in COLUMNS)
    confirmed = "status" in result.changed
    if columns and confirmed:
        return gettext(
            "Filled in or changed: %(columns)s. The pending signature is now confirmed."
        ) % {"columns": columns}
    if confirmed:
        return gettext("The pending signature is now confirmed.")
    return gettext("Filled in or changed: %(columns)s.") % {"columns": columns}


# --- A chunk, a job ------------------------------------------------------------------------


def _row_values(job: ImportJob, record: Record) -> dict[str, str]:
    return {name: cell for name, cell in zip(job.columns, record.values, strict=False) if name}


def _import_chunk(job: ImportJob, text: str, max_rows: int) -> bool:
    """Import up to ``max_rows`` rows from where ``job`` stands; says whether rows remain."""
    records, more = [], False
    for record in _records(
        text, start=job.position, first_line=job.next_line, delimiter=job.delimiter
    ):
        if len(records) == max_rows:
            more = True
            break
        records.append(record)
    tally = Tally(job)
    parsed: list[ImportRow] = []
    for record in records:
        if not record.values:
            continue
        values = _row_values(job, record)
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
        result = parse_row(values, line=record.line)
        if isinstance(result, ImportRow):
            parsed.append(result)
            continue
        tally.errors += 1
        for column, reason in result.items():
            tally.note(
                record.line, ImportReportLine.Outcome.ERROR, reason, column=column, email=email
            )
    _write_rows(job, parsed, tally)
    ImportReportLine.objects.bulk_create(sorted(tally.lines, key=lambda entry: entry.line))
    _add_up(job, tally, rows=sum(1 for record in records if record.values))
    if records:
        job.position = records[-1].end
        job.next_line = records[-1].line + 1
    return more


def _write_rows(job: ImportJob, rows: list[ImportRow], tally: Tally) -> None:
    """Write the chunk's valid rows, each in its own savepoint (a row the database refuses is
    reported, the others go in); in a dry run everything is rolled back afterwards."""
    if not rows:
        return
    with transaction.atomic():
        existing = _existing(rows, job.campaign)
        for row in rows:
            try:
                with transaction.atomic():
                    result = _apply(job, row, existing)
            except (IntegrityError, DataError):
                logger.warning("Import %s: line %s refused by the database", job.pk, row.line)
                tally.errors += 1
                reason = gettext("This row could not be saved. Try importing it again.")
                tally.note(row.line, ImportReportLine.Outcome.ERROR, reason, email=row.email)
                continue
            tally.count(row, result)
        if job.dry_run:
            transaction.set_rollback(True)


def _add_up(job: ImportJob, tally: Tally, *, rows: int) -> None:
    job.processed_rows += rows
    job.created_count += tally.created
    job.updated_count += tally.updated
    job.unchanged_count += tally.unchanged
    job.error_count += tally.errors
    job.duplicate_count += tally.duplicates
    job.withdrawn_count += tally.withdrawn
    job.held_count += tally.held
    job.emails_queued += tally.emails


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
                    _scan(job, text)
                    job.status = ImportJob.Status.RUNNING
                    job.started_at = timezone.now()
                elif not _import_chunk(job, text, max_rows):
                    fields += _finish(job)
            except ImportFileError as error:
                job.status = ImportJob.Status.FAILED
                job.failure = str(error.message)
                job.finished_at = timezone.now()
        job.save(update_fields=fields)
    return job


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
    read_header(text)
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
        raise ImportFileError(_("This dry run's file is no longer kept: upload it again."))
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
    from .tasks import run_import

    try:
        run_import.delay(job_id)
    except Exception:  # The broker is down: the progress page offers to resume it.
        logger.exception("Could not queue import %s", job_id)


# --- Reads ---------------------------------------------------------------------------------

STALLED_AFTER = datetime.timedelta(minutes=2)


def recent_imports(*, limit: int = 50) -> QuerySet[ImportJob]:
    """The latest imports, newest first, without their files."""
    return (
        ImportJob.objects.defer("csv_text", "columns", "duplicates")
        .select_related("created_by")
        .order_by("-created_at", "-id")[:limit]
    )


def import_job(*, job_id: int) -> ImportJob:
    """One import without its file, with ``has_file`` (whether the file is still kept).
    Raises ``ImportJob.DoesNotExist``."""
    return (
        ImportJob.objects.defer("csv_text", "columns", "duplicates")
        .select_related("created_by")
        .annotate(has_file=ExpressionWrapper(~Q(csv_text=""), output_field=BooleanField()))
        .get(pk=job_id)
    )


def is_stalled(job: ImportJob, *, now: datetime.datetime | None = None) -> bool:
    """An unfinished import that has not moved for a while: its task was lost."""
    return not job.is_finished and (now or timezone.now()) - job.updated_at > STALLED_AFTER


def report_lines(*, job: ImportJob, limit: int | None = None) -> QuerySet[ImportReportLine]:
    lines = ImportReportLine.objects.filter(job=job).order_by("line", "id")
    return lines[:limit] if limit else lines


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
    for entry in report_lines(job=job).iterator(chunk_size=2000):
        yield writer.line(
            [entry.line, entry.email, outcomes[entry.outcome], entry.field, entry.reason]
        )
