"""Updates to signatories in the back office: write, preview, test, send, follow the progress,
publish as news (``Action.SEND_UPDATES``); and the failed-email pages: messages the outbox could
not deliver (or is retrying after an error), why, and buttons to send them again or cancel them
(``Action.MANAGE_OUTBOX``; recipients' addresses also need ``Action.VIEW_PERSONAL_DATA``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaign.outbox import OutboxError, cancel_email, retry_email
from updates import selectors, services
from updates.forms import ProblemEmailFilterForm, UpdateForm
from updates.models import LANGUAGE_CODES, Update
from updates.services import UpdateError

from .. import selectors as backoffice
from ..access import require
from ..roles import Action, can


def _update(update_id: int) -> Update:
    return selectors.update_for_backoffice(
        update_id=update_id, campaign=backoffice.backoffice_campaign()
    )


def _previews(text) -> list[dict]:
    """The title and rendered text in each language, for the preview panels."""
    return [
        {"code": code, "title": text.title_in(code), "body": text.html_in(code)}
        for code in LANGUAGE_CODES
    ]


@require(Action.SEND_UPDATES)
@require_GET
def update_list(request: HttpRequest) -> HttpResponse:
    campaign = backoffice.backoffice_campaign()
    page = selectors.update_page(campaign=campaign, cursor=request.GET.get("after", ""))
    return render(request, "organise/updates.html", {"campaign": campaign, "page": page})


@require(Action.SEND_UPDATES)
@require_http_methods(["GET", "POST"])
def update_new(request: HttpRequest) -> HttpResponse:
    campaign = backoffice.backoffice_campaign()
    form = UpdateForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and "preview" not in request.POST:
        update = services.create_update(campaign=campaign, author=request.user, text=form.text())
        messages.success(request, _("The draft is saved."))
        return redirect("organise:update", update.pk)
    return _editor(request, form=form, update=None)


@require(Action.SEND_UPDATES)
@require_http_methods(["GET", "POST"])
def update_edit(request: HttpRequest, pk: int) -> HttpResponse:
    update = _update(pk)
    if not update.is_draft:
        messages.error(request, _("This update has been sent; it can no longer be edited."))
        return redirect("organise:update", update.pk)
    initial = {name: getattr(update, name) for name in UpdateForm.base_fields}
    form = UpdateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid() and "preview" not in request.POST:
        try:
            services.edit_update(update_id=update.pk, editor=request.user, text=form.text())
        except UpdateError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The draft is saved."))
        return redirect("organise:update", update.pk)
    return _editor(request, form=form, update=update)


def _editor(request: HttpRequest, *, form: UpdateForm, update: Update | None) -> HttpResponse:
    """The editor; after "Preview" (a POST that saves nothing) with the typed text rendered."""
    previews = None
    if request.method == "POST" and "preview" in request.POST and form.is_valid():
        draft = Update(**form.text().as_fields())
        previews = _previews(draft)
    return render(
        request,
        "organise/update_form.html",
        {"form": form, "update": update, "previews": previews},
        status=400 if form.errors else 200,
    )


@require(Action.SEND_UPDATES)
@require_GET
def update_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft's preview and actions; once sending, its progress (refreshing itself)."""
    update = _update(pk)
    context = {"update": update, "previews": _previews(update)}
    if update.is_draft:
        audience = selectors.audience_by_language(campaign=update.campaign)
        context |= {"audience": audience, "audience_total": sum(audience.values())}
    else:
        delivery = selectors.delivery(update=update)
        context |= {
            "delivery": delivery,
            "is_finished": update.is_sent and delivery.is_settled,
            "is_stalled": selectors.is_stalled(update=update, now=timezone.now()),
            "queued_percent": _percent(update.recipients_queued, update.recipients_planned),
            "sent_percent": _percent(delivery.sent, update.recipients_queued),
        }
    return render(request, "organise/update_detail.html", context)


def _percent(part: int, whole: int) -> int:
    return min(100, part * 100 // whole) if whole else 100


@require(Action.SEND_UPDATES)
@require_POST
def update_test(request: HttpRequest, pk: int) -> HttpResponse:
    update = _update(pk)
    try:
        sent = services.send_test(update_id=update.pk, actor=request.user)
    except UpdateError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("A test is on its way to %(address)s, in: %(languages)s.")
            % {"address": sent.recipient, "languages": _language_names(sent.languages)},
        )
    return redirect("organise:update", update.pk)


def _language_names(codes: list[str]) -> str:
    return ", ".join(str(get_language_info(code)["name_translated"]) for code in codes)


@require(Action.SEND_UPDATES)
@require_http_methods(["GET", "POST"])
def update_send(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation, with how many people it will reach in each language. POST:
    send. A second POST (double click, another organiser) sends nothing more."""
    update = _update(pk)
    if request.method == "POST":
        try:
            started = services.start_sending(update_id=update.pk, actor=request.user)
        except UpdateError as error:
            messages.error(request, error.message)
            return redirect("organise:update_send", update.pk)
        if started:
            messages.success(request, _("Sending has started."))
        else:
            messages.info(request, _("This update was already sent; nothing more was sent."))
        return redirect("organise:update", update.pk)
    if not update.is_draft:
        return redirect("organise:update", update.pk)
    audience = selectors.audience_by_language(campaign=update.campaign)
    return render(
        request,
        "organise/update_send.html",
        {
            "update": update,
            "audience": [{"code": code, "count": audience[code]} for code in LANGUAGE_CODES],
            "total": sum(audience.values()),
            "missing": update.missing_languages,
        },
    )


@require(Action.SEND_UPDATES)
@require_POST
def update_resume(request: HttpRequest, pk: int) -> HttpResponse:
    update = _update(pk)
    if services.resume_sending(update_id=update.pk, actor=request.user):
        messages.success(request, _("Sending has resumed where it stopped."))
    else:
        messages.info(request, _("Sending is under way; there was nothing to resume."))
    return redirect("organise:update", update.pk)


@require(Action.SEND_UPDATES)
@require_POST
def update_publish(request: HttpRequest, pk: int) -> HttpResponse:
    update = _update(pk)
    try:
        services.publish_update(update_id=update.pk, actor=request.user)
    except UpdateError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The update is published on the news pages."))
    return redirect("organise:update", update.pk)


@require(Action.SEND_UPDATES)
@require_POST
def update_unpublish(request: HttpRequest, pk: int) -> HttpResponse:
    update = _update(pk)
    services.unpublish_update(update_id=update.pk, actor=request.user)
    messages.success(request, _("The update is no longer on the news pages."))
    return redirect("organise:update", update.pk)


@require(Action.SEND_UPDATES)
@require_POST
def update_delete(request: HttpRequest, pk: int) -> HttpResponse:
    update = _update(pk)
    try:
        services.delete_draft(update_id=update.pk, actor=request.user)
    except UpdateError as error:
        messages.error(request, error.message)
        return redirect("organise:update", update.pk)
    messages.success(request, _("The draft is deleted."))
    return redirect("organise:updates")


# --- Failed emails ------------------------------------------------------------------------


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
        retry_email(email_id=email.pk, actor=request.user)
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
        cancel_email(email_id=email.pk, actor=request.user)
    except OutboxError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The message is cancelled; it will not be sent."))
    return redirect("organise:email", email.pk)
