"""The back office's safeguards against abuse (``Action.MANAGE_ABUSE``, Organisers): kill
switches and rate limits, block and allow lists, spike alerts, bulk invalidation with its
progress and undo. Each view parses a form and calls one service of the ``abuse`` app."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from abuse import invalidation, safeguards, selectors, services
from abuse.forms import (
    ConfirmInvalidationForm,
    InvalidationForm,
    KillSwitchesForm,
    ListEntryForm,
    RateLimitsForm,
)
from abuse.models import Invalidation, SpikeAlert

from ..access import require
from ..roles import Action
from ..selectors import backoffice_campaign


def _render_safeguards(request: HttpRequest, **forms) -> HttpResponse:
    stored = safeguards.load()
    context = {
        "stored": stored,
        "switches_form": KillSwitchesForm(
            initial={
                "signing_paused": stored.signing_paused,
                "read_only": stored.read_only,
                "pause_message_en": stored.pause_messages.get("en", ""),
                "pause_message_fr": stored.pause_messages.get("fr", ""),
            }
        ),
        "limits_form": RateLimitsForm(safeguards=stored),
        **forms,
    }
    status = 400 if any(form.errors for form in forms.values()) else 200
    return render(request, "organise/abuse_safeguards.html", context, status=status)


@require(Action.MANAGE_ABUSE)
@require_safe
def safeguards_page(request: HttpRequest) -> HttpResponse:
    return _render_safeguards(request)


@require(Action.MANAGE_ABUSE)
@require_POST
def set_switches(request: HttpRequest) -> HttpResponse:
    form = KillSwitchesForm(request.POST)
    if not form.is_valid():
        return _render_safeguards(request, switches_form=form)
    services.set_kill_switches(actor=request.user, **form.cleaned_data)
    messages.success(request, _("The kill switches are saved. Every page follows them at once."))
    return redirect("organise:abuse")


@require(Action.MANAGE_ABUSE)
@require_POST
def set_limits(request: HttpRequest) -> HttpResponse:
    form = RateLimitsForm(request.POST, safeguards=safeguards.load())
    if not form.is_valid():
        return _render_safeguards(request, limits_form=form)
    services.set_rate_limits(actor=request.user, limits=form.limits())
    messages.success(request, _("The rate limits are saved."))
    return redirect("organise:abuse")


@require(Action.MANAGE_ABUSE)
def lists(request: HttpRequest) -> HttpResponse:
    form = ListEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.add_list_entry(actor=request.user, **form.cleaned_data)
        messages.success(request, _("The entry is added. It applies to signatures from now on."))
        return redirect("organise:abuse_lists")
    return render(
        request,
        "organise/abuse_lists.html",
        {"form": form, "entries": selectors.list_entries()},
        status=400 if form.errors else 200,
    )


@require(Action.MANAGE_ABUSE)
@require_POST
def remove_list_entry(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.remove_list_entry(actor=request.user, entry_id=pk):
        raise Http404
    messages.success(request, _("The entry is removed."))
    return redirect("organise:abuse_lists")


@require(Action.MANAGE_ABUSE)
@require_safe
def spikes(request: HttpRequest) -> HttpResponse:
    return render(request, "organise/abuse_spikes.html", {"alerts": selectors.recent_alerts()})


@require(Action.MANAGE_ABUSE)
@require_safe
def spike(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(SpikeAlert, pk=pk)
    return render(
        request,
        "organise/abuse_spike.html",
        {"alert": alert, "signatures": selectors.held_by_alert(alert)[:200]},
    )


@require(Action.MANAGE_ABUSE)
def invalidations(request: HttpRequest) -> HttpResponse:
    """GET: the form, and with a selection its preview; POST: the confirmed selection."""
    campaign = backoffice_campaign()
    if request.method == "POST":
        form = ConfirmInvalidationForm(request.POST)
        if form.is_valid():
            job = invalidation.start(
                campaign=campaign,
                criteria=form.criteria(),
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
            return redirect("organise:abuse_invalidation", pk=job.pk)
    else:
        form = InvalidationForm(request.GET or None)
    preview = None
    if form.is_bound and form.is_valid():
        preview = selectors.preview(campaign=campaign, criteria=form.criteria())
    return render(
        request,
        "organise/abuse_invalidations.html",
        {"form": form, "preview": preview, "jobs": selectors.recent_invalidations()},
        status=400 if form.errors else 200,
    )


@require(Action.MANAGE_ABUSE)
@require_safe
def invalidation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Invalidation.objects.select_related("created_by", "undone_by"), pk=pk)
    return render(request, "organise/abuse_invalidation.html", {"job": job})


@require(Action.MANAGE_ABUSE)
@require_POST
def cancel_invalidation(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(Invalidation, pk=pk)
    try:
        invalidation.cancel(invalidation_id=pk, actor=request.user)
    except invalidation.InvalidationError:
        messages.error(request, _("This invalidation is not running any more."))
    else:
        messages.success(request, _("The invalidation stops after the signatures in hand."))
    return redirect("organise:abuse_invalidation", pk=pk)


@require(Action.MANAGE_ABUSE)
@require_POST
def undo_invalidation(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(Invalidation, pk=pk)
    try:
        invalidation.undo(invalidation_id=pk, actor=request.user)
    except invalidation.InvalidationError:
        messages.error(request, _("Only a finished or cancelled invalidation can be undone."))
    else:
        messages.success(request, _("The invalidation is being undone."))
    return redirect("organise:abuse_invalidation", pk=pk)
