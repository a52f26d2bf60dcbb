"""The tracker in the back office (``/organise/tracker/…``).

Who may do what (``organise.roles``): every role sees the lists and previews
(``Action.VIEW``); a moderator writes drafts, adds companies and deals
(``Action.DRAFT_TRACKER``); an organiser publishes or sends drafts back, edits listed
companies, lists or hides a company and edits the criteria (``Action.PUBLISH_TRACKER``).
A draft is previewed in both languages before anyone publishes it.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tracker import services
from tracker.models import Assessment, Company, Criterion, Deal, Revision
from tracker.services import TrackerError

from ..access import require
from ..roles import Action, can
from .forms import (
    CompanyForm,
    CriterionForm,
    DealForm,
    ReturnForm,
    RevisionForm,
    SourceFormSet,
    sources_of,
)

LANGUAGES = ("en", "fr")


def _company(pk: int) -> Company:
    return get_object_or_404(Company.objects.defer("logo_png"), pk=pk)


@require(Action.VIEW)
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    companies = Company.objects.defer("logo_png").annotate(
        drafts=Count("assessments__revisions", filter=Q(assessments__revisions__state="draft"))
    )
    drafts = (
        Revision.objects.filter(state=Revision.State.DRAFT)
        .select_related("assessment__company", "assessment__criterion", "created_by")
        .defer("assessment__company__logo_png")
        .order_by("created_at")
    )
    return render(
        request,
        "tracker/organise/index.html",
        {
            "companies": companies,
            "drafts": drafts,
            "deals": Deal.objects.order_by("state", "-announced_on"),
            "criteria": Criterion.objects.all(),
            "can_draft": can(request.user, Action.DRAFT_TRACKER),
            "can_publish": can(request.user, Action.PUBLISH_TRACKER),
        },
    )


@require(Action.DRAFT_TRACKER)
@require_http_methods(["GET", "POST"])
def company_new(request: HttpRequest) -> HttpResponse:
    return _company_form(request, None)


@require(Action.DRAFT_TRACKER)
@require_http_methods(["GET", "POST"])
def company_edit(request: HttpRequest, pk: int) -> HttpResponse:
    company = _company(pk)
    if company.is_listed and not can(request.user, Action.PUBLISH_TRACKER):
        raise PermissionDenied  # what the public sees changes only through an organiser
    return _company_form(request, company)


def _company_form(request: HttpRequest, company: Company | None) -> HttpResponse:
    form = CompanyForm(request.POST or None, request.FILES or None, instance=company)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in CompanyForm.Meta.fields}
        logo = form.cleaned_data["logo"]
        if form.cleaned_data["remove_logo"]:
            logo = services.REMOVE_LOGO
        try:
            saved = services.save_company(
                company=company, fields=fields, logo=logo, actor=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The company is saved."))
            return redirect("organise:tracker_company", saved.pk)
    return render(
        request,
        "tracker/organise/company_form.html",
        {"form": form, "company": company},
        status=400 if form.errors else 200,
    )


@require(Action.VIEW)
@require_GET
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    company = _company(pk)
    assessments = (
        Assessment.objects.filter(company=company)
        .select_related("criterion", "published")
        .order_by("criterion__position")
    )
    revisions = (
        Revision.objects.filter(assessment__company=company)
        .select_related("assessment__criterion", "created_by", "reviewed_by")
        .order_by("-created_at")
    )
    return render(
        request,
        "tracker/organise/company.html",
        {
            "company": company,
            "assessments": assessments,
            "revisions": revisions,
            "can_draft": can(request.user, Action.DRAFT_TRACKER),
            "can_publish": can(request.user, Action.PUBLISH_TRACKER),
        },
    )


@require(Action.PUBLISH_TRACKER)
@require_POST
def company_listing(request: HttpRequest, pk: int) -> HttpResponse:
    company = _company(pk)
    listed = request.POST.get("listed") == "1"
    services.set_company_listed(company_id=company.pk, listed=listed, actor=request.user)
    messages.success(
        request, _("The company is listed publicly.") if listed else _("The company is hidden.")
    )
    return redirect("organise:tracker_company", company.pk)


@require(Action.DRAFT_TRACKER)
@require_http_methods(["GET", "POST"])
def revision_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A new draft of the company's position on one demand, starting from what is public."""
    company = _company(pk)
    initial, initial_sources = _initial_from_published(company, request.GET.get("criterion"))
    form = RevisionForm(request.POST or None, initial=initial)
    sources = SourceFormSet(request.POST or None, initial=initial_sources, prefix="sources")
    if request.method == "POST" and form.is_valid() and sources.is_valid():
        data = form.cleaned_data
        try:
            revision = services.draft_revision(
                company=company,
                criterion=data["criterion"],
                status=data["status"],
                summary_en=data["summary_en"],
                summary_fr=data["summary_fr"],
                happened_on=data["happened_on"],
                sources=sources_of(sources),
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The draft is saved. Check its preview in both languages."))
            return redirect("organise:tracker_revision", revision.pk)
    return render(
        request,
        "tracker/organise/revision_form.html",
        {"form": form, "sources": sources, "company": company},
        status=400 if form.errors or sources.total_error_count() else 200,
    )


def _initial_from_published(company: Company, criterion_id: str | None):
    if not (criterion_id or "").isdigit():
        return {}, []
    assessment = (
        Assessment.objects.filter(company=company, criterion_id=int(criterion_id))
        .select_related("published")
        .first()
    )
    revision = assessment.published if assessment else None
    if revision is None:
        return {"criterion": int(criterion_id)}, []
    initial = {
        "criterion": int(criterion_id),
        "status": revision.status,
        "summary_en": revision.summary_en,
        "summary_fr": revision.summary_fr,
        "happened_on": revision.happened_on,
    }
    sources = [
        {
            "url": s.url,
            "title": s.title,
            "published_on": s.published_on,
            "archive_url": s.archive_url,
        }
        for s in revision.sources.all()
    ]
    return initial, sources


def _previews(revision: Revision) -> list[dict]:
    """The entry as the public page will show it, in each language."""
    previews = []
    for code in LANGUAGES:
        with translation.override(code):
            previews.append(
                {
                    "code": code,
                    "criterion": revision.assessment.criterion.title,
                    "status": revision.get_status_display(),
                    "status_code": revision.status,
                    "summary": getattr(revision, f"summary_{code}") or "",
                }
            )
    return previews


@require(Action.VIEW)
@require_GET
def revision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    revision = get_object_or_404(
        Revision.objects.select_related("assessment__company", "assessment__criterion").defer(
            "assessment__company__logo_png"
        ),
        pk=pk,
    )
    return render(
        request,
        "tracker/organise/revision.html",
        {
            "revision": revision,
            "company": revision.assessment.company,
            "previews": _previews(revision),
            "sources": revision.sources.all(),
            "problems": services.publication_problems(revision),
            "return_form": ReturnForm(),
            "can_publish": can(request.user, Action.PUBLISH_TRACKER),
        },
    )


@require(Action.PUBLISH_TRACKER)
@require_POST
def revision_publish(request: HttpRequest, pk: int) -> HttpResponse:
    revision = get_object_or_404(Revision, pk=pk)
    try:
        services.publish_revision(revision_id=revision.pk, actor=request.user)
    except TrackerError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Published."))
    return redirect("organise:tracker_revision", revision.pk)


@require(Action.PUBLISH_TRACKER)
@require_POST
def revision_return(request: HttpRequest, pk: int) -> HttpResponse:
    revision = get_object_or_404(Revision, pk=pk)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what the author should change."))
    else:
        try:
            services.return_revision(
                revision_id=revision.pk, note=form.cleaned_data["note"], actor=request.user
            )
        except TrackerError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The draft is sent back to its author."))
    return redirect("organise:tracker_revision", revision.pk)


@require(Action.DRAFT_TRACKER)
@require_http_methods(["GET", "POST"])
def deal_new(request: HttpRequest) -> HttpResponse:
    return _deal_form(request, None)


@require(Action.DRAFT_TRACKER)
@require_http_methods(["GET", "POST"])
def deal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _deal_form(request, get_object_or_404(Deal, pk=pk))


def _deal_form(request: HttpRequest, deal: Deal | None) -> HttpResponse:
    form = DealForm(request.POST or None, instance=deal)
    initial = (
        [
            {
                "url": s.url,
                "title": s.title,
                "published_on": s.published_on,
                "archive_url": s.archive_url,
            }
            for s in deal.sources.all()
        ]
        if deal
        else []
    )
    sources = SourceFormSet(request.POST or None, initial=initial, prefix="sources")
    if request.method == "POST" and form.is_valid() and sources.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "companies"}
        try:
            saved = services.save_deal(
                deal=deal,
                fields=fields,
                companies=form.cleaned_data["companies"],
                sources=sources_of(sources),
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The deal is saved as a draft."))
            return redirect("organise:tracker_deal", saved.pk)
    return render(
        request,
        "tracker/organise/deal_form.html",
        {"form": form, "sources": sources, "deal": deal},
        status=400 if form.errors or sources.total_error_count() else 200,
    )


@require(Action.VIEW)
@require_GET
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deal = get_object_or_404(Deal, pk=pk)
    previews = []
    for code in LANGUAGES:
        previews.append(
            {
                "code": code,
                "title": getattr(deal, f"title_{code}") or "",
                "licensed": getattr(deal, f"licensed_{code}") or "",
            }
        )
    return render(
        request,
        "tracker/organise/deal.html",
        {
            "deal": deal,
            "previews": previews,
            "sources": deal.sources.all(),
            "companies": deal.companies.defer("logo_png"),
            "can_publish": can(request.user, Action.PUBLISH_TRACKER),
        },
    )


@require(Action.PUBLISH_TRACKER)
@require_POST
def deal_publish(request: HttpRequest, pk: int) -> HttpResponse:
    deal = get_object_or_404(Deal, pk=pk)
    try:
        services.publish_deal(deal_id=deal.pk, actor=request.user)
    except TrackerError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Published."))
    return redirect("organise:tracker_deal", deal.pk)


@require(Action.PUBLISH_TRACKER)
@require_http_methods(["GET", "POST"])
def criterion_new(request: HttpRequest) -> HttpResponse:
    return _criterion_form(request, None)


@require(Action.PUBLISH_TRACKER)
@require_http_methods(["GET", "POST"])
def criterion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _criterion_form(request, get_object_or_404(Criterion, pk=pk))


def _criterion_form(request: HttpRequest, criterion: Criterion | None) -> HttpResponse:
    form = CriterionForm(request.POST or None, instance=criterion)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        if criterion is not None and criterion.is_core:
            fields.pop("code", None)
            fields.pop("is_active", None)
        try:
            services.save_criterion(criterion=criterion, fields=fields, actor=request.user)
        except (TrackerError, ValidationError) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The criterion is saved."))
            return redirect("organise:tracker")
    return render(
        request,
        "tracker/organise/criterion_form.html",
        {"form": form, "criterion": criterion},
        status=400 if form.errors else 200,
    )
