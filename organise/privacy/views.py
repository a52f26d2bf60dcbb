"""Privacy requests (Organisers only): find the person by their exact address, see what
erasure would remove, export their data or erase them. Every export and erasure is an audit
event; the address searched for never appears in a URL (the search is a POST)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from signatures.models import Supporter
from signatures.services import privacy

from ..access import require
from ..roles import Action
from .forms import EraseForm, ExportForm, FindPersonForm


@require(Action.HANDLE_PRIVACY_REQUESTS)
@require_http_methods(["GET", "POST"])
def find(request: HttpRequest) -> HttpResponse:
    form = FindPersonForm(request.POST or None)
    not_found = False
    if request.method == "POST" and form.is_valid():
        supporter = privacy.find_supporter(email=form.cleaned_data["email"])
        if supporter is not None:
            return redirect("organise:privacy_request", supporter_id=supporter.pk)
        not_found = True
    return render(request, "organise/privacy_find.html", {"form": form, "not_found": not_found})


def _person(supporter_id: int) -> Supporter:
    supporter = Supporter.objects.select_related("user").filter(pk=supporter_id).first()
    if supporter is None or privacy.is_erased(supporter):
        raise Http404
    return supporter


def _render_request(request, supporter, *, status: int = 200, **forms) -> HttpResponse:
    context = {
        "supporter": supporter,
        "signatures": supporter.signatures.select_related("campaign").order_by("created_at"),
        "plan_keep": privacy.plan_erasure(supporter=supporter, keep_count=True),
        "plan_withdraw": privacy.plan_erasure(supporter=supporter, keep_count=False),
        "export_form": ExportForm(supporter=supporter),
        "erase_form": EraseForm(supporter=supporter),
        **forms,
    }
    return render(request, "organise/privacy_request.html", context, status=status)


@require(Action.HANDLE_PRIVACY_REQUESTS)
def request_page(request: HttpRequest, supporter_id: int) -> HttpResponse:
    return _render_request(request, _person(supporter_id))


@require(Action.HANDLE_PRIVACY_REQUESTS)
@require_POST
def export(request: HttpRequest, supporter_id: int) -> HttpResponse:
    supporter = _person(supporter_id)
    form = ExportForm(request.POST, supporter=supporter)
    if not form.is_valid():
        return _render_request(request, supporter, status=400, export_form=form)
    data = privacy.export_on_request(
        supporter_id=supporter.pk, actor=request.user, reason=form.cleaned_data["reason"]
    )
    response = JsonResponse(data, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = (
        f'attachment; filename="supporter-{supporter.public_id}-data.json"'
    )
    response["Cache-Control"] = "no-store"
    return response


@require(Action.HANDLE_PRIVACY_REQUESTS)
@require_POST
def erase(request: HttpRequest, supporter_id: int) -> HttpResponse:
    supporter = _person(supporter_id)
    form = EraseForm(request.POST, supporter=supporter)
    if not form.is_valid():
        return _render_request(request, supporter, status=400, erase_form=form)
    plan = privacy.erase_supporter(
        supporter_id=supporter.pk,
        actor=request.user,
        reason=form.cleaned_data["reason"],
        keep_count=form.keep_count,
    )
    if plan.signatures_kept_anonymous:
        messages.success(
            request, _("The person's data is erased. Their signature still counts, anonymously.")
        )
    else:
        messages.success(request, _("The person's data is erased."))
    return redirect("organise:privacy")
