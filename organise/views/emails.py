"""The failed-email view: messages the outbox could not deliver (or is retrying after an error),
why, and buttons to send them again or cancel them. Everything needs ``Action.MANAGE_OUTBOX``;
recipients' addresses also need ``Action.VIEW_PERSONAL_DATA``."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaign.services import OutboxError
from updates import selectors, services
from updates.forms import ProblemEmailFilterForm

from ..access import require
from ..roles import Action, can


@require(Action.MANAGE_OUTBOX)
@require_GET
def email_list(request: HttpRequest) -> HttpResponse:
    can_see_recipients = can(request.user, Action.VIEW_PERSONAL_DATA)
    form = ProblemEmailFilterForm(
        request.GET or None,
        kinds=selectors.problem_kinds(),
        can_see_recipients=can_see_recipients,
    )
    if form.is_bound:
        form.is_valid()  # an invalid filter is ignored, the others apply
    filters = form.filters()
    page = selectors.problem_email_page(
        queryset=selectors.problem_emails(**filters), cursor=request.GET.get("after", "")
    )
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "organise/emails.html",
        {
            "form": form,
            "page": page,
            "filter_query": query.urlencode(),
            "can_see_recipients": can_see_recipients,
        },
    )


@require(Action.MANAGE_OUTBOX)
@require_GET
def email_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(
        request,
        "organise/emails_detail.html",
        {
            "email": selectors.outbox_email(email_id=pk),
            "can_see_recipients": can(request.user, Action.VIEW_PERSONAL_DATA),
        },
    )


@require(Action.MANAGE_OUTBOX)
@require_POST
def email_retry(request: HttpRequest, pk: int) -> HttpResponse:
    email = selectors.outbox_email(email_id=pk)
    try:
        services.retry_outbox_email(email_id=email.pk, actor=request.user)
    except OutboxError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The message is queued to be sent again."))
    return redirect("organise:email", email.pk)


@require(Action.MANAGE_OUTBOX)
@require_POST
def email_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    email = selectors.outbox_email(email_id=pk)
    try:
        services.cancel_outbox_email(email_id=email.pk, actor=request.user)
    except OutboxError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The message is cancelled; it will not be sent."))
    return redirect("organise:email", email.pk)
