"""Read queries of the CSV import: the latest imports, one import, its report."""

from __future__ import annotations

import datetime

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils import timezone

from ..models import ImportJob, ImportReportLine

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
