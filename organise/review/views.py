"""The review queues (verification requests, held signatures), the signatory list with its bulk
actions, and one signatory's page. Lists and pages need ``Action.VIEW``; every change is a
POST that needs ``Action.MODERATE`` and goes through ``organise.review.services``."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST, require_safe

from signatures.models import Signature, Verification

from ..access import require
from ..roles import Action, can
from ..selectors import backoffice_campaign
from ..trail import describe
from . import selectors, services
from .forms import (
    BulkModerationForm,
    ModerationForm,
    SignatoryFilterForm,
    VerificationDecisionForm,
    VerificationFilterForm,
)
from .services import ModerationAction, ModerationError

HELD_ACTIONS = (ModerationAction.RELEASE, ModerationAction.REJECT_HELD)
LIST_ACTIONS = (
    ModerationAction.FEATURE,
    ModerationAction.UNFEATURE,
    ModerationAction.HIDE_COMMENT,
    ModerationAction.SHOW_COMMENT,
    ModerationAction.REJECT,
    ModerationAction.RESTORE,
)

DONE = {
    ModerationAction.RELEASE: gettext_lazy("The signature is released."),
    ModerationAction.REJECT_HELD: gettext_lazy(
        "The signature is rejected: it no longer counts and is gone from the public pages."
    ),
    ModerationAction.REJECT: gettext_lazy(
        "The signature is rejected: it no longer counts and is gone from the public pages."
    ),
    ModerationAction.RESTORE: gettext_lazy("The signature is restored."),
    ModerationAction.HIDE_COMMENT: gettext_lazy("The comment is hidden from the public."),
    ModerationAction.SHOW_COMMENT: gettext_lazy("The comment is public again."),
    ModerationAction.FEATURE: gettext_lazy("The signatory is featured."),
    ModerationAction.UNFEATURE: gettext_lazy("The signatory is no longer featured."),
}


def _with_query(url_name: str, request: HttpRequest, *args) -> str:
    """The list's address with the filters (and page) it was showing."""
    url = reverse(url_name, args=args)
    return f"{url}?{request.GET.urlencode()}" if request.GET else url


def _filter_query(request: HttpRequest) -> str:
    """The current filters without the page cursor, for the next-page link."""
    query = request.GET.copy()
    for key in ("after", "tick"):
        query.pop(key, None)
    return query.urlencode()


def _report(request: HttpRequest, result: services.BulkResult) -> None:
    if result.changed:
        messages.success(
            request,
            ngettext(
                "%(count)s signature changed.", "%(count)s signatures changed.", result.changed
            )
            % {"count": result.changed},
        )
    if result.skipped:
        messages.warning(
            request,
            ngettext(
                "%(count)s signature left as it was: the action did not apply to it, "
                "or someone else decided it first.",
                "%(count)s signatures left as they were: the action did not apply to them, "
                "or someone else decided them first.",
                result.skipped,
            )
            % {"count": result.skipped},
        )


def _bulk(
    request: HttpRequest,
    *,
    actions: tuple[ModerationAction, ...],
    list_url: str,
    render_list: Callable[..., HttpResponse],
) -> HttpResponse:
    """Apply the chosen action to the ticked rows, then show the list as it was filtered; a
    form with a mistake shows the list again with the rows still ticked."""
    form = BulkModerationForm(request.POST, actions=actions)
    if not form.is_valid():
        return render_list(request, bulk_form=form, status=400)
    try:
        result = services.moderate_signatures(
            action=form.cleaned_data["action"],
            signature_ids=form.cleaned_data["signature"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
            campaign=backoffice_campaign(),
        )
    except ModerationError as error:
        messages.error(request, error.message)
    else:
        _report(request, result)
    return redirect(_with_query(list_url, request))


# --- Verification requests ----------------------------------------------------------------


@require(Action.VIEW)
@require_safe
def verifications(request: HttpRequest) -> HttpResponse:
    """Pending verification requests, oldest first, each with its evidence and a decision."""
    form = VerificationFilterForm(request.GET or None)
    form.is_valid()
    page = selectors.verification_page(filters=form.filters(), cursor=request.GET.get("after", ""))
    return render(
        request,
        "organise/verifications.html",
        {
            "form": form,
            "page": page,
            "items": [(v, selectors.evidence_of(v)) for v in page.entries],
            "total": selectors.pending_verification_count(),
            "decision_form": VerificationDecisionForm(),
            "filter_query": _filter_query(request),
        },
    )


def _render_verification(
    request: HttpRequest, verification_id: int, *, form=None, status: int = 200
) -> HttpResponse:
    verification = selectors.verification_detail(verification_id=verification_id)
    if verification is None:
        raise Http404
    campaign = backoffice_campaign()
    supporter = verification.supporter
    return render(
        request,
        "organise/verification_detail.html",
        {
            "verification": verification,
            "supporter": supporter,
            "evidence": selectors.evidence_of(verification),
            "signature": selectors.signature_for_supporter(campaign=campaign, supporter=supporter),
            "history": [
                other
                for other in selectors.supporter_verifications(supporter=supporter)
                if other.pk != verification.pk
            ],
            "decision_form": form or VerificationDecisionForm(),
        },
        status=status,
    )


@require(Action.VIEW)
@require_safe
def verification(request: HttpRequest, verification_id: int) -> HttpResponse:
    return _render_verification(request, verification_id)


@require(Action.MODERATE)
@require_POST
def verification_decide(request: HttpRequest, verification_id: int) -> HttpResponse:
    form = VerificationDecisionForm(request.POST)
    if not form.is_valid():
        return _render_verification(request, verification_id, form=form, status=400)
    decide = services.approve_verification if form.approves else services.refuse_verification
    try:
        decide(
            verification_id=verification_id,
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
    except Verification.DoesNotExist:
        raise Http404 from None
    except ModerationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The artist is verified: the badge is on their profile.")
            if form.approves
            else _("The request is refused; the artist can read your reason."),
        )
    return redirect(form.cleaned_data["next"] or reverse("organise:verifications"))


# --- Held signatures ----------------------------------------------------------------------


def _signatory_filter_form(request: HttpRequest) -> SignatoryFilterForm:
    form = SignatoryFilterForm(
        request.GET or None,
        can_search_emails=can(request.user, Action.VIEW_PERSONAL_DATA),
    )
    form.is_valid()
    return form


def _list_context(request: HttpRequest, form, page, bulk_form) -> dict:
    """What the signatory lists share: filters, page, bulk form and the ticked rows."""
    cursor = request.GET.get("after", "")
    filter_query = _filter_query(request)
    page_query = urlencode({"after": cursor}) if cursor else ""
    return {
        "form": form,
        "page": page,
        "bulk_form": bulk_form,
        "ticked": bulk_form.selected_ids if bulk_form.is_bound else set(),
        "tick_all": request.GET.get("tick") == "all",
        "filter_query": filter_query,
        "page_query": page_query,
        "full_query": "&".join(part for part in (filter_query, page_query) if part),
    }


def _render_held(request: HttpRequest, *, bulk_form=None, status: int = 200) -> HttpResponse:
    campaign = backoffice_campaign()
    form = _signatory_filter_form(request)
    page = selectors.held_page(
        campaign=campaign, filters=form.filters(), cursor=request.GET.get("after", "")
    )
    bulk_form = bulk_form or BulkModerationForm(actions=HELD_ACTIONS)
    context = _list_context(request, form, page, bulk_form)
    context["total"] = selectors.held_count(campaign=campaign)
    context["hidden_filters"] = ("moderation",)
    return render(request, "organise/held.html", context, status=status)


@require(Action.VIEW)
@require_safe
def held(request: HttpRequest) -> HttpResponse:
    """Signatures held for review (a name that could pass for a protected one…), oldest
    first, to release or reject one by one or in bulk."""
    return _render_held(request)


@require(Action.MODERATE)
@require_POST
def held_bulk(request: HttpRequest) -> HttpResponse:
    return _bulk(request, actions=HELD_ACTIONS, list_url="organise:held", render_list=_render_held)


# --- All signatories ----------------------------------------------------------------------


def _render_signatories(request: HttpRequest, *, bulk_form=None, status: int = 200) -> HttpResponse:
    form = _signatory_filter_form(request)
    queryset = selectors.signatories(
        campaign=backoffice_campaign(),
        filters=form.filters(),
        search_emails=can(request.user, Action.VIEW_PERSONAL_DATA),
        search_full_names=can(request.user, Action.MODERATE),
    )
    page = selectors.signatory_page(queryset=queryset, cursor=request.GET.get("after", ""))
    bulk_form = bulk_form or BulkModerationForm(actions=LIST_ACTIONS)
    context = _list_context(request, form, page, bulk_form)
    return render(request, "organise/signatories.html", context, status=status)


@require(Action.VIEW)
@require_safe
def signatories_list(request: HttpRequest) -> HttpResponse:
    """Every signatory, newest first, filtered; moderators tick rows for a bulk action."""
    return _render_signatories(request)


@require(Action.MODERATE)
@require_POST
def signatories_bulk(request: HttpRequest) -> HttpResponse:
    return _bulk(
        request,
        actions=LIST_ACTIONS,
        list_url="organise:signatories",
        render_list=_render_signatories,
    )


# --- One signatory ------------------------------------------------------------------------


def _render_signatory(
    request: HttpRequest, signature_id: int, *, form=None, status: int = 200
) -> HttpResponse:
    signature = selectors.signature_detail(
        campaign=backoffice_campaign(), signature_id=signature_id
    )
    if signature is None:
        raise Http404
    supporter = signature.supporter
    return render(
        request,
        "organise/signatory_detail.html",
        {
            "signature": signature,
            "supporter": supporter,
            "actions": [
                (action.value, services.ACTION_LABELS[action])
                for action in services.applicable_actions(signature)
            ],
            "moderation_form": form
            or ModerationForm(initial={"next": request.GET.get("next", "")}),
            "verification_method": dict(Verification.Method.choices).get(
                supporter.verification_method, ""
            ),
            "verifications": selectors.supporter_verifications(supporter=supporter),
            "events": [
                describe(event) for event in selectors.supporter_audit_events(supporter=supporter)
            ]
            if can(request.user, Action.VIEW_AUDIT)
            else [],
        },
        status=status,
    )


@require(Action.VIEW)
@require_safe
def signatory(request: HttpRequest, signature_id: int) -> HttpResponse:
    """Everything about one signature and its signer, its history, and the actions on it."""
    return _render_signatory(request, signature_id)


@require(Action.MODERATE)
@require_POST
def signatory_moderate(request: HttpRequest, signature_id: int) -> HttpResponse:
    """One action on one signature, from its page or a row of the held queue."""
    form = ModerationForm(request.POST)
    if not form.is_valid():
        return _render_signatory(request, signature_id, form=form, status=400)
    action = ModerationAction(form.cleaned_data["action"])
    try:
        services.moderate_signature(
            action=action,
            signature_id=signature_id,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            campaign=backoffice_campaign(),
        )
    except Signature.DoesNotExist:
        raise Http404 from None
    except ModerationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, DONE[action])
    return redirect(form.cleaned_data["next"] or reverse("organise:signatory", args=[signature_id]))
