"""Importing signatures from CSV, and exporting the signatories as CSV."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaign.models import FieldOfWork

from ..access import require
from ..models import ImportJob
from ..review.forms import SignatoryFilterForm
from ..roles import Action, can
from ..selectors import backoffice_campaign
from . import exports, selectors
from .forms import ImportUploadForm
from .job import report_csv, resume_import, run_for_real, start_import
from .parse import ImportFileError

REPORT_ON_PAGE = 100


@require(Action.IMPORT)
@require_http_methods(["GET", "POST"])
def imports_page(request: HttpRequest) -> HttpResponse:
    """The upload form, and the imports so far."""
    posted = request.method == "POST"
    form = ImportUploadForm(request.POST, request.FILES) if posted else ImportUploadForm()
    if posted and form.is_valid():
        data = form.cleaned_data
        job = start_import(
            campaign=backoffice_campaign(),
            file_name=data["file"].name,
            text=form.text,
            source_label=data["source_label"],
            actor=request.user,
            ask_confirmation=data["ask_confirmation"],
            dry_run=data["dry_run"],
        )
        return redirect("organise:import", job_id=job.pk)
    return render(
        request,
        "organise/imports.html",
        {
            "form": form,
            "jobs": selectors.recent_imports(),
            "field_codes": ", ".join(FieldOfWork.values),
        },
        status=400 if form.errors else 200,
    )


def _job_or_404(job_id: int) -> ImportJob:
    try:
        return selectors.import_job(job_id=job_id)
    except ImportJob.DoesNotExist as error:
        raise Http404 from error


@require(Action.IMPORT)
@require_GET
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """An import's progress, then its report. While the import runs the page refreshes itself
    (without JavaScript), unless the organiser turned that off (``?refresh=off``: refreshing
    moves a screen reader back to the top every time)."""
    job = _job_or_404(job_id)
    stalled = selectors.is_stalled(job)
    return render(
        request,
        "organise/import_detail.html",
        {
            "job": job,
            "lines": selectors.report_lines(job=job, limit=REPORT_ON_PAGE),
            "report_on_page": REPORT_ON_PAGE,
            "stalled": stalled,
            "auto_refresh": not (job.is_finished or stalled or request.GET.get("refresh") == "off"),
        },
    )


@require(Action.IMPORT)
@require_GET
def import_report(request: HttpRequest, job_id: int) -> StreamingHttpResponse:
    """The whole report of an import, as CSV."""
    job = _job_or_404(job_id)
    response = StreamingHttpResponse(report_csv(job=job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.csv"'
    return response


@require(Action.IMPORT)
@require_POST
def import_resume(request: HttpRequest, job_id: int) -> HttpResponse:
    """Hand a stalled import to a worker again; it goes on where it stopped."""
    job = _job_or_404(job_id)
    if resume_import(job_id=job.pk):
        messages.info(request, _("The import goes on where it stopped."))
    return redirect("organise:import", job_id=job.pk)


@require(Action.IMPORT)
@require_POST
def import_for_real(request: HttpRequest, job_id: int) -> HttpResponse:
    """Import the file of a finished dry run, with the same options."""
    job = _job_or_404(job_id)
    try:
        new_job = run_for_real(job=job, actor=request.user)
    except ImportFileError as error:
        messages.error(request, error.message)
        return redirect("organise:import", job_id=job.pk)
    return redirect("organise:import", job_id=new_job.pk)


@require(Action.EXPORT)
@require_GET
def export(request: HttpRequest) -> StreamingHttpResponse:
    """The signatories matching the list's filters, as CSV, streamed. Email addresses only for
    people allowed to see them; every export is an audit event."""
    with_emails = can(request.user, Action.VIEW_PERSONAL_DATA)
    form = SignatoryFilterForm(request.GET, can_search_emails=with_emails)
    form.is_valid()
    signatory_export = exports.start_export(
        campaign=backoffice_campaign(),
        filters=form.filters(),
        actor=request.user,
        with_emails=with_emails,
    )
    response = StreamingHttpResponse(
        signatory_export.lines(), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="signatories-{stamp}.csv"'
    return response
